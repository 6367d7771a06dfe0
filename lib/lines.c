/* lines.c — a line reader with line numbers, shared by every text parser. */
#include <errno.h>
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
