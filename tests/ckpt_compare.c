/* ckpt_compare.c — test helper: how far two checkpoints' parameters lie apart, |a − b| / |a| over
 * all of them (2-norms). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A checkpoint read whole (the format of lib/checkpoint.c); NULL on failure. */
static unsigned char *slurp(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)*size)) && fread(b, 1, (size_t)*size, f) != (size_t)*size) {
        free(b);
        b = NULL;
    }
    if (f) fclose(f);
    return b;
}

/* Little-endian reads with a bounds check: `ok` drops to 0 past the end. */
typedef struct {
    const unsigned char *b;
    long pos, size;
    int ok;
} reader;
static uint64_t get(reader *r, int bytes)
{
    uint64_t v = 0;
    if (r->pos + bytes > r->size) return r->ok = 0, 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->b[r->pos + i] << (8 * i);
    r->pos += bytes;
    return v;
}
static float get_f32(reader *r)
{
    uint32_t u = (uint32_t)get(r, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: ckpt_compare A.ckpt B.ckpt [TOL]\n"
                        "prints |a - b| / |a| (2-norms over every parameter), then the largest\n"
                        "max|a - b| / max|a| of one tensor; exit 1 when the first is above TOL\n");
        return 2;
    }
    long sa = 0, sb = 0;
    unsigned char *ba = slurp(argv[1], &sa), *bb = slurp(argv[2], &sb);
    if (!ba || !bb || sa != sb) {
        fprintf(stderr, "ckpt_compare: cannot read both files, or their sizes differ\n");
        return 2;
    }
    reader a = {ba, 12, sa, 1}, b = {bb, 12, sb, 1};
    const uint64_t spec = get(&a, 4);
    get(&b, 4);
    a.pos += (long)spec, b.pos += (long)spec;
    const uint64_t count = get(&a, 4);
    get(&b, 4);
    double worst = 0, diff2 = 0, norm2 = 0;
    for (uint64_t t = 0; t < count && a.ok; t++) {
        const uint64_t name = get(&a, 4);
        get(&b, 4);
        a.pos += (long)name, b.pos += (long)name;
        const uint64_t ndim = get(&a, 4);
        get(&b, 4);
        uint64_t numel = 1;
        for (uint64_t d = 0; d < ndim && a.ok; d++)
            numel *= get(&a, 8), get(&b, 8);
        double diff = 0, scale = 0;
        for (uint64_t i = 0; i < numel && a.ok && b.ok; i++) {
            const double x = get_f32(&a), y = get_f32(&b);
            diff = fmax(diff, fabs(x - y));
            scale = fmax(scale, fabs(x));
            diff2 += (x - y) * (x - y);
            norm2 += x * x;
        }
        if (scale > 0) worst = fmax(worst, diff / scale);
    }
    free(ba);
    free(bb);
    if (!a.ok || !b.ok) {
        fprintf(stderr, "ckpt_compare: a file is truncated\n");
        return 2;
    }
    const double rel = norm2 > 0 ? sqrt(diff2 / norm2) : sqrt(diff2);
    printf("%.3g %.3g\n", rel, worst);
    return argc == 4 && !(rel <= atof(argv[3]));
}
