/* cholmod.c — CHOLMOD glue shared by the Matrix Market reader and the diffusion solver: a quiet
 * start that keeps the first error. */
#include <stdio.h>

#include <suitesparse/cholmod.h>

#include "internal.h"

/* CHOLMOD's error handler has no user pointer, so the message goes to a
 * thread-local buffer. The first error is kept: later ones are consequences
 * ("argument missing" after a failed read). Warnings (status > 0, such as
 * "not positive definite") are left to the caller, which sees them in
 * cc.status. */
static _Thread_local char cholmod_msg[256];
static _Thread_local int cholmod_status;

static void record_cholmod_error(int status, const char *file, int line, const char *message)
{
    (void)file, (void)line;
    if (status < 0 && cholmod_status >= 0) {
        cholmod_status = status;
        snprintf(cholmod_msg, sizeof cholmod_msg, "%s", message ? message : "no message");
    }
}

void lc_i_cholmod_start(void *common)
{
    cholmod_common *cc = common;
    cholmod_start(cc);
    cc->print = 0; /* quiet: the message reaches the caller through lc_last_error */
    cc->error_handler = record_cholmod_error;
    cholmod_msg[0] = '\0';
    cholmod_status = 0;
}

int lc_i_cholmod_error(const char **message)
{
    *message = cholmod_msg[0] ? cholmod_msg : "no reason given";
    return cholmod_status;
}
