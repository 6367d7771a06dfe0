/* atomic.c — files written under a temporary name and renamed into place (checkpoints, images). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Make the rename itself durable; best effort (some file systems refuse
 * fsync on a directory, and the data is already safe in the file). `dir` is a
 * writable copy of the path, allocated before anything was written so that
 * running out of memory cannot skip this step after a successful rename. */
static void sync_parent_dir(char *dir)
{
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash == dir)
        d = "/";
    else if (slash) {
        *slash = '\0';
        d = dir;
    }
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

lc_status lc_i_atomic_open(lc_i_atomic *a, const char *path)
{
    lc_status st = LC_OK;
    int fd = -1;
    memset(a, 0, sizeof *a);
    a->path = path;
    size_t tmp_len = strlen(path) + 32;
    a->tmp = lc_i_malloc(tmp_len);
    a->dir = lc_i_strdup(path);
    if (!a->tmp || !a->dir)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate the temporary name", path);
    snprintf(a->tmp, tmp_len, "%s.tmp.%ld", path, (long)getpid());
    /* O_EXCL: never write through a stale temp file or a link someone left there. */
    (void)unlink(a->tmp);
    fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) LC_FAIL(LC_ERR_IO, "'%s': cannot create '%s': %s", path, a->tmp, strerror(errno));
    a->created = 1;
    a->f = fdopen(fd, "wb");
    if (!a->f) LC_FAIL(LC_ERR_IO, "'%s': fdopen of '%s': %s", path, a->tmp, strerror(errno));
    fd = -1; /* now owned by a->f */
done:
    if (fd >= 0) close(fd);
    if (st != LC_OK) lc_i_atomic_abort(a);
    return st;
}

lc_status lc_i_atomic_commit(lc_i_atomic *a)
{
    lc_status st = LC_OK;
    const char *path = a->path, *tmp = a->tmp;
    if (fflush(a->f) != 0)
        LC_FAIL(LC_ERR_IO, "'%s': flush of '%s': %s", path, tmp, strerror(errno));
    if (fsync(fileno(a->f)) != 0)
        LC_FAIL(LC_ERR_IO, "'%s': fsync of '%s': %s", path, tmp, strerror(errno));
    FILE *f = a->f;
    a->f = NULL;
    if (fclose(f) != 0) LC_FAIL(LC_ERR_IO, "'%s': close of '%s': %s", path, tmp, strerror(errno));
    if (rename(tmp, path) != 0)
        LC_FAIL(LC_ERR_IO, "'%s': cannot rename '%s' over it: %s", path, tmp, strerror(errno));
    a->created = 0;
    sync_parent_dir(a->dir);
done:
    lc_i_atomic_abort(a);
    return st;
}

void lc_i_atomic_abort(lc_i_atomic *a)
{
    if (a->f) fclose(a->f);
    if (a->created) (void)unlink(a->tmp);
    lc_i_free(a->tmp);
    lc_i_free(a->dir);
    memset(a, 0, sizeof *a);
}
