/* lines.c — a line reader with line numbers and the token helpers shared by every text parser. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

lc_status lc_i_lines_open(lc_i_lines *r, const char *path)
{
    memset(r, 0, sizeof *r);
    if (!path) return LC_ERROR(LC_ERR_INVALID_ARG, "path is NULL");
    r->path = path;
    r->f = fopen(path, "rb");
    if (!r->f) return LC_ERROR(LC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    return LC_OK;
}

int lc_i_lines_next(lc_i_lines *r, char **line)
{
    size_t len = 0;
    int c;
    while ((c = getc(r->f)) != EOF) {
        if (len + 1 >= r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 4096;
            char *buf = lc_i_realloc(r->buf, cap);
            if (!buf) {
                LC_ERROR(LC_ERR_OUT_OF_MEMORY, "'%s' line %lld: cannot grow the line buffer",
                         r->path, (long long)r->line_no + 1);
                return LC_ERR_OUT_OF_MEMORY;
            }
            r->buf = buf;
            r->cap = cap;
        }
        if (c == '\n') break;
        if (c == '\0') { /* a text line cannot hold one: binary data or a corrupt file */
            LC_ERROR(LC_ERR_PARSE, "'%s' line %lld: contains a NUL byte", r->path,
                     (long long)r->line_no + 1);
            return LC_ERR_PARSE;
        }
        r->buf[len++] = (char)c;
    }
    if (c == EOF && len == 0) {
        if (ferror(r->f)) {
            LC_ERROR(LC_ERR_IO, "'%s': read error after line %lld", r->path, (long long)r->line_no);
            return LC_ERR_IO;
        }
        return 0;
    }
    if (len > 0 && r->buf[len - 1] == '\r') len--; /* tolerate CRLF files */
    r->buf[len] = '\0';
    r->line_no++;
    *line = r->buf;
    return 1;
}

void lc_i_lines_close(lc_i_lines *r)
{
    if (r->f) fclose(r->f);
    lc_i_free(r->buf);
    memset(r, 0, sizeof *r);
}

lc_status lc_i_parse_error_at(const char *api, const lc_i_lines *r, int64_t line, const char *note,
                              const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lc_i_error(LC_ERR_PARSE, api, "'%s' line %lld%s: %s", r->path, (long long)line, note,
                      msg);
}

lc_status lc_i_reraise(const char *api, lc_status st)
{
    char msg[1024];
    const char *text = lc_last_error();
    const char *colon = strstr(text, ": ");
    snprintf(msg, sizeof msg, "%s", colon ? colon + 2 : text);
    return lc_i_error(st, api, "%s", msg);
}

lc_status lc_i_open_lines(const char *api, lc_i_lines *r, const char *path)
{
    lc_status st = lc_i_lines_open(r, path);
    return st == LC_OK ? LC_OK : lc_i_reraise(api, st);
}

int lc_i_next_line(const char *api, lc_i_lines *r, char **line)
{
    int rc = lc_i_lines_next(r, line);
    return rc < 0 ? (int)lc_i_reraise(api, (lc_status)rc) : rc;
}

char *lc_i_next_token(char **cur)
{
    char *s = *cur;
    while (lc_i_is_space(*s))
        s++;
    if (!*s) {
        *cur = s;
        return NULL;
    }
    char *tok = s;
    while (*s && !lc_i_is_space(*s))
        s++;
    if (*s) *s++ = '\0';
    *cur = s;
    return tok;
}

int64_t lc_i_count_tokens(const char *s)
{
    int64_t n = 0;
    while (*s) {
        while (lc_i_is_space(*s))
            s++;
        if (!*s) break;
        n++;
        while (*s && !lc_i_is_space(*s))
            s++;
    }
    return n;
}

void lc_i_strip_comment(char *s)
{
    char *hash = strchr(s, '#');
    if (hash) *hash = '\0';
}

bool lc_i_parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) return false;
    *out = v;
    return true;
}

bool lc_i_parse_real(const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v) || fabs(v) > FLT_MAX) return false;
    *out = (float)v;
    return true;
}
