/* mpi.c — the one file that talks to MPI (LC_HAVE_MPI): the communicator handle and the collectives
 * of data-parallel training. */
#include "config.h" /* LC_HAVE_MPI */

#include <limits.h>
#include <string.h>

#include "dist.h"

#ifdef LC_HAVE_MPI
#include <mpi.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#endif

struct lc_dist {
    int rank, size;
    int check_every; /* lc_dist_set_check */
    double *buf;     /* lc_i_dist_buffer */
    int64_t buf_len;
#ifdef LC_HAVE_MPI
    MPI_Comm comm;
    MPI_Op sum_in_order;
    bool finalize; /* lc_dist_init initialised MPI */
    /* lc_dist_set_timeout: a thread that ends the process when one collective
     * has waited longer than `timeout` seconds (in_call names it, since `since`) */
    double timeout;
    bool watching, stop;
    pthread_t watchdog;
    pthread_mutex_t mu;
    const char *in_call;
    double since;
#endif
};

int lc_dist_rank(const lc_dist_t *d)
{
    return d ? d->rank : 0;
}
int lc_dist_size(const lc_dist_t *d)
{
    return d ? d->size : 1;
}
int lc_i_dist_check_every(const lc_dist_t *d)
{
    return d ? d->check_every : 0;
}

lc_status lc_dist_set_check(lc_dist_t *d, int every)
{
    LC_CHECK_ARG(d, "the communicator is NULL");
    LC_CHECK_ARG(every >= 0, "check interval %d is negative", every);
    d->check_every = every;
    return LC_OK;
}

double *lc_i_dist_buffer(lc_dist_t *d, int64_t n)
{
    if (n > d->buf_len) {
        double *b = lc_i_realloc(d->buf, (size_t)n * sizeof *b);
        if (!b) return NULL;
        d->buf = b;
        d->buf_len = n;
    }
    return d->buf;
}

#ifdef LC_HAVE_MPI

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The watchdog: MPI cannot time a collective out, and a rank that hangs
 * (stopped, deadlocked, its node unreachable) would hold the others forever.
 * Ending this process makes mpirun end the job. */
static void *watch(void *arg)
{
    lc_dist_t *d = arg;
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        pthread_mutex_lock(&d->mu);
        const bool stop = d->stop;
        const char *call = d->in_call;
        const double waited = call ? now_seconds() - d->since : 0;
        pthread_mutex_unlock(&d->mu);
        if (stop) return NULL;
        if (call && waited > d->timeout) {
            fprintf(stderr,
                    "lc_dist: rank %d of %d waited %.0f s in %.*s for the other ranks (timeout "
                    "%g s): one of them is stuck or gone; ending this process\n",
                    d->rank, d->size, waited, (int)strcspn(call, "("), call, d->timeout);
            fflush(stderr);
            _exit(LC_DIST_TIMEOUT_EXIT);
        }
        nanosleep(&tick, NULL);
    }
}

void lc_i_dist_watch(lc_dist_t *d, const char *call)
{
    if (!d->watching) return;
    pthread_mutex_lock(&d->mu);
    d->in_call = call;
    d->since = now_seconds();
    pthread_mutex_unlock(&d->mu);
}

void lc_i_dist_unwatch(lc_dist_t *d)
{
    if (!d->watching) return;
    pthread_mutex_lock(&d->mu);
    d->in_call = NULL;
    pthread_mutex_unlock(&d->mu);
}

lc_status lc_dist_set_timeout(lc_dist_t *d, double seconds)
{
    LC_CHECK_ARG(d, "the communicator is NULL");
    LC_CHECK_ARG(seconds >= 0 && seconds < 1e9, "timeout %g s is not in [0, 1e9)", seconds);
    d->timeout = seconds;
    if (seconds > 0 && !d->watching) {
        if (pthread_mutex_init(&d->mu, NULL))
            return LC_ERROR(LC_ERR_BACKEND, "cannot create the watchdog's mutex");
        if (pthread_create(&d->watchdog, NULL, watch, d)) {
            pthread_mutex_destroy(&d->mu);
            return LC_ERROR(LC_ERR_BACKEND, "cannot start the watchdog thread");
        }
        d->watching = true;
    }
    return LC_OK;
}

/* An MPI error code as an lconv error naming the call and the rank. */
static lc_status mpi_error(const lc_dist_t *d, int code, const char *call, const char *func)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(code, text, &len);
    return lc_i_error(LC_ERR_BACKEND, func, "%s failed on rank %d of %d: %s", call, d->rank,
                      d->size, text);
}
#define MPI_TRY(call)                                                                              \
    do {                                                                                           \
        lc_i_dist_watch(d, #call);                                                                 \
        int mpi_rc_ = (call);                                                                      \
        lc_i_dist_unwatch(d);                                                                      \
        if (mpi_rc_ != MPI_SUCCESS) return mpi_error(d, mpi_rc_, #call, __func__);                 \
    } while (0)

/* inout = in + inout element-wise; registered as non-commutative, so that MPI
 * combines the ranks' vectors in rank order whatever its algorithm. */
static void sum_doubles(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const double *a = in;
    double *b = inout;
    for (int i = 0; i < *len; i++)
        b[i] = a[i] + b[i];
}

/* Duplicate comm into a new handle. */
static lc_status dist_new(lc_dist_t **out, MPI_Comm comm, bool finalize)
{
    lc_dist_t *d = lc_i_calloc(1, sizeof *d);
    if (!d) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the communicator");
    d->comm = MPI_COMM_NULL;
    d->sum_in_order = MPI_OP_NULL;
    d->finalize = finalize;
    lc_status st = LC_OK;
    int rc = MPI_Comm_dup(comm, &d->comm);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(d->comm, &d->rank);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_size(d->comm, &d->size);
    if (rc == MPI_SUCCESS) rc = MPI_Op_create(sum_doubles, 0, &d->sum_in_order);
    if (rc != MPI_SUCCESS) st = mpi_error(d, rc, "creating the communicator", "lc_dist_init");
    if (st) {
        d->finalize = false; /* the caller decides what becomes of MPI itself */
        lc_dist_free(&d);
        return st;
    }
    *out = d;
    return LC_OK;
}

lc_status lc_dist_init(lc_dist_t **d, int *argc, char ***argv)
{
    LC_CHECK_ARG(d, "NULL argument");
    int initialised = 0, provided = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS)
            return LC_ERROR(LC_ERR_BACKEND, "MPI_Init_thread failed (error %d)", rc);
    }
    lc_status st = dist_new(d, MPI_COMM_WORLD, !initialised);
    if (st && !initialised) MPI_Finalize();
    return st;
}

lc_status lc_dist_from_comm(lc_dist_t **d, const void *mpi_comm)
{
    LC_CHECK_ARG(d && mpi_comm, "NULL argument");
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) return LC_ERROR(LC_ERR_STATE, "MPI is not initialised");
    return dist_new(d, *(const MPI_Comm *)mpi_comm, false);
}

void lc_dist_free(lc_dist_t **pd)
{
    if (!pd || !*pd) return;
    lc_dist_t *d = *pd;
    if (d->watching) {
        pthread_mutex_lock(&d->mu);
        d->stop = true;
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->watchdog, NULL);
        pthread_mutex_destroy(&d->mu);
    }
    if (d->sum_in_order != MPI_OP_NULL) MPI_Op_free(&d->sum_in_order);
    if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
    if (d->finalize) MPI_Finalize();
    lc_i_free(d->buf);
    lc_i_free(d);
    *pd = NULL;
}

void lc_dist_abort(lc_dist_t *d, int code)
{
    if (d && d->size > 1) MPI_Abort(d->comm, code);
}

lc_status lc_i_dist_sum(lc_dist_t *d, double *buf, int64_t n)
{
    /* In chunks of an int's count; rank 0 combines, then everyone gets its bits. */
    for (int64_t off = 0; off < n; off += 1 << 28) {
        const int len = (int)(n - off < (1 << 28) ? n - off : (1 << 28));
        MPI_TRY(MPI_Reduce(d->rank ? buf + off : MPI_IN_PLACE, d->rank ? NULL : buf + off, len,
                           MPI_DOUBLE, d->sum_in_order, 0, d->comm));
        MPI_TRY(MPI_Bcast(buf + off, len, MPI_DOUBLE, 0, d->comm));
    }
    return LC_OK;
}

lc_status lc_i_dist_bcast(lc_dist_t *d, void *buf, int64_t bytes)
{
    for (int64_t off = 0; off < bytes; off += 1 << 30) {
        const int len = (int)(bytes - off < (1 << 30) ? bytes - off : (1 << 30));
        MPI_TRY(MPI_Bcast((char *)buf + off, len, MPI_BYTE, 0, d->comm));
    }
    return LC_OK;
}

lc_status lc_i_dist_gather_u64(lc_dist_t *d, uint64_t mine, uint64_t *all)
{
    MPI_TRY(MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, d->comm));
    return LC_OK;
}

lc_status lc_i_dist_allgather(lc_dist_t *d, const void *mine, void *all, int bytes)
{
    MPI_TRY(MPI_Allgather(mine, bytes, MPI_BYTE, all, bytes, MPI_BYTE, d->comm));
    return LC_OK;
}

lc_status lc_i_dist_alltoallv_ids(lc_dist_t *d, const int64_t *send, const int64_t *send_count,
                                  int64_t **recv, int64_t *recv_count)
{
    *recv = NULL;
    const int size = d->size;
    int *counts = lc_i_malloc(4 * (size_t)size * sizeof *counts);
    if (!counts) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d counts", 4 * size);
    int *sc = counts, *sd = counts + size, *rc = counts + 2 * size, *rd = counts + 3 * size;
    lc_status st = LC_OK;
    int64_t sent = 0, got = 0;
    for (int q = 0; q < size; q++) {
        if (send_count[q] > INT_MAX || sent > INT_MAX)
            LC_FAIL(LC_ERR_UNSUPPORTED, "more than %d row ids to send (MPI's int counts)", INT_MAX);
        sc[q] = (int)send_count[q], sd[q] = (int)sent;
        sent += send_count[q];
    }
    lc_i_dist_watch(d, "MPI_Alltoall");
    int rc_ = MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, d->comm);
    lc_i_dist_unwatch(d);
    if (rc_ != MPI_SUCCESS) {
        st = mpi_error(d, rc_, "MPI_Alltoall", __func__);
        goto done;
    }
    for (int q = 0; q < size; q++) {
        if (got > INT_MAX) LC_FAIL(LC_ERR_UNSUPPORTED, "more than %d row ids to receive", INT_MAX);
        rd[q] = (int)got, recv_count[q] = rc[q];
        got += rc[q];
    }
    *recv = lc_i_malloc((size_t)(got + 1) * sizeof **recv);
    if (!*recv) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld row ids", (long long)got);
    lc_i_dist_watch(d, "MPI_Alltoallv");
    rc_ = MPI_Alltoallv(send, sc, sd, MPI_INT64_T, *recv, rc, rd, MPI_INT64_T, d->comm);
    lc_i_dist_unwatch(d);
    if (rc_ != MPI_SUCCESS) st = mpi_error(d, rc_, "MPI_Alltoallv", __func__);
done:
    lc_i_free(counts);
    if (st) {
        lc_i_free(*recv);
        *recv = NULL;
    }
    return st;
}

lc_status lc_dist_agree(lc_dist_t *d, lc_status st, const char *what)
{
    if (!lc_i_dist_active(d)) return st;
    int code = (int)st;
    MPI_TRY(MPI_Bcast(&code, 1, MPI_INT, 0, d->comm));
    if (d->rank == 0 || code == LC_OK) return (lc_status)code;
    return lc_i_error((lc_status)code, "lc_dist", "rank 0 failed %s (%s)", what,
                      lc_status_name((lc_status)code));
}

/* The forward and the backward neighbourhood communicators of a partitioned operator. */
typedef struct {
    MPI_Comm fwd, bwd;
} halo_comms;

lc_status lc_i_dist_halo_attach(lc_dist_op_t *op)
{
    lc_dist_t *d = op->dist;
    halo_comms *c = lc_i_malloc(sizeof *c);
    if (!c) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the communicators");
    c->fwd = c->bwd = MPI_COMM_NULL;
    op->comm = c;
    /* forward: halo rows come from in_rank, owned rows go to out_rank. GCC
     * takes Open MPI's MPI_UNWEIGHTED, the sentinel pointer (int *)2, for an
     * array it would read. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
    MPI_TRY(MPI_Dist_graph_create_adjacent(d->comm, op->n_in, op->in_rank, MPI_UNWEIGHTED,
                                           op->n_out, op->out_rank, MPI_UNWEIGHTED, MPI_INFO_NULL,
                                           0, &c->fwd));
    MPI_TRY(MPI_Dist_graph_create_adjacent(d->comm, op->n_out, op->out_rank, MPI_UNWEIGHTED,
                                           op->n_in, op->in_rank, MPI_UNWEIGHTED, MPI_INFO_NULL, 0,
                                           &c->bwd));
#pragma GCC diagnostic pop
    MPI_TRY(MPI_Comm_set_errhandler(c->fwd, MPI_ERRORS_RETURN));
    MPI_TRY(MPI_Comm_set_errhandler(c->bwd, MPI_ERRORS_RETURN));
    return LC_OK;
}

void lc_i_dist_halo_detach(lc_dist_op_t *op)
{
    halo_comms *c = op->comm;
    if (!c) return;
    if (c->fwd != MPI_COMM_NULL) MPI_Comm_free(&c->fwd);
    if (c->bwd != MPI_COMM_NULL) MPI_Comm_free(&c->bwd);
    lc_i_free(c);
    op->comm = NULL;
}

/* counts[k] = rows[k]·f and their displacements, as MPI's ints. */
static lc_status int_counts(const lc_dist_t *d, const int64_t *rows, int n, int64_t f, int *counts,
                            int *displs)
{
    int64_t at = 0;
    for (int k = 0; k < n; k++) {
        if (rows[k] * f > INT32_MAX || at > INT32_MAX)
            return lc_i_error(LC_ERR_UNSUPPORTED, "lc_dist_op_spmm",
                              "rank %d: a halo block of %lld floats exceeds MPI's int counts",
                              d->rank, (long long)(rows[k] * f));
        counts[k] = (int)(rows[k] * f);
        displs[k] = (int)at;
        at += rows[k] * f;
    }
    return LC_OK;
}

lc_status lc_i_dist_halo_exchange(lc_dist_op_t *op, int64_t f, float *recv, bool backward)
{
    lc_dist_t *d = op->dist;
    halo_comms *c = op->comm;
    int *in_c = op->counts, *in_d = in_c + op->n_in, *out_c = in_d + op->n_in,
        *out_d = out_c + op->n_out;
    lc_status st = int_counts(d, op->in_count, op->n_in, f, in_c, in_d);
    if (!st) st = int_counts(d, op->out_count, op->n_out, f, out_c, out_d);
    if (st) return st;
    if (!backward) {
        MPI_TRY(MPI_Neighbor_alltoallv(op->buf, out_c, out_d, MPI_FLOAT, recv, in_c, in_d,
                                       MPI_FLOAT, c->fwd));
        op->bytes_sent += op->n_sent * f * (int64_t)sizeof(float);
    } else {
        MPI_TRY(MPI_Neighbor_alltoallv(recv, in_c, in_d, MPI_FLOAT, op->buf, out_c, out_d,
                                       MPI_FLOAT, c->bwd));
        op->bytes_sent += op->n_halo * f * (int64_t)sizeof(float);
    }
    return LC_OK;
}

#else /* built without MPI: no handle can be made, so the collectives are never reached */

lc_status lc_dist_init(lc_dist_t **d, int *argc, char ***argv)
{
    (void)argc, (void)argv;
    LC_CHECK_ARG(d, "NULL argument");
    return LC_ERROR(LC_ERR_UNSUPPORTED,
                    "lconv was built without MPI: install libopenmpi-dev and reconfigure");
}

lc_status lc_dist_from_comm(lc_dist_t **d, const void *mpi_comm)
{
    (void)mpi_comm;
    return lc_dist_init(d, NULL, NULL);
}

void lc_dist_free(lc_dist_t **pd)
{
    if (!pd || !*pd) return;
    lc_i_free((*pd)->buf);
    lc_i_free(*pd);
    *pd = NULL;
}

void lc_dist_abort(lc_dist_t *d, int code)
{
    (void)d, (void)code;
}

lc_status lc_dist_set_timeout(lc_dist_t *d, double seconds)
{
    (void)seconds;
    LC_CHECK_ARG(d, "the communicator is NULL");
    return LC_ERROR(LC_ERR_UNSUPPORTED, "lconv was built without MPI");
}

static lc_status no_mpi(void)
{
    return lc_i_error(LC_ERR_UNSUPPORTED, "lc_dist", "lconv was built without MPI");
}
lc_status lc_i_dist_sum(lc_dist_t *d, double *buf, int64_t n)
{
    (void)d, (void)buf, (void)n;
    return no_mpi();
}
lc_status lc_i_dist_bcast(lc_dist_t *d, void *buf, int64_t bytes)
{
    (void)d, (void)buf, (void)bytes;
    return no_mpi();
}
lc_status lc_i_dist_gather_u64(lc_dist_t *d, uint64_t mine, uint64_t *all)
{
    if (!lc_i_dist_active(d)) return all[0] = mine, LC_OK;
    return no_mpi();
}
lc_status lc_i_dist_allgather(lc_dist_t *d, const void *mine, void *all, int bytes)
{
    (void)d, (void)mine, (void)all, (void)bytes;
    return no_mpi();
}
void lc_i_dist_watch(lc_dist_t *d, const char *call)
{
    (void)d, (void)call;
}
void lc_i_dist_unwatch(lc_dist_t *d)
{
    (void)d;
}
lc_status lc_dist_agree(lc_dist_t *d, lc_status st, const char *what)
{
    (void)d, (void)what;
    return st;
}
lc_status lc_i_dist_alltoallv_ids(lc_dist_t *d, const int64_t *send, const int64_t *send_count,
                                  int64_t **recv, int64_t *recv_count)
{
    (void)d, (void)send, (void)send_count, (void)recv_count;
    *recv = NULL;
    return no_mpi();
}
lc_status lc_i_dist_halo_attach(lc_dist_op_t *op)
{
    (void)op;
    return no_mpi();
}
void lc_i_dist_halo_detach(lc_dist_op_t *op)
{
    (void)op;
}
lc_status lc_i_dist_halo_exchange(lc_dist_op_t *op, int64_t f, float *recv, bool backward)
{
    (void)op, (void)f, (void)recv, (void)backward;
    return no_mpi();
}

#endif
