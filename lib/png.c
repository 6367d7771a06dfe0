/* png.c — side-by-side diverging heatmaps of 2-D tensors, written as PNG through libpng. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <png.h>

#include "internal.h"

/* Pixels between two panels. */
#define HM_GAP 4
/* The largest image side written. */
#define HM_MAX_SIDE ((int64_t)1 << 15)
/* The automatic scale makes the largest panel side at most this many pixels. */
#define HM_AUTO_SIDE 512

static const uint8_t gap_rgb[3] = {211, 211, 211}; /* light grey: gaps, below shorter panels */
static const uint8_t nan_rgb[3] = {128, 128, 128}; /* mid grey: NaN entries */

static const char *const api = "lc_write_heatmaps_png";

/* The image being drawn. */
typedef struct {
    const lc_tensor_t *const *panels;
    int count;
    int64_t scale, width, height;
    double *max_abs; /* per panel: the largest finite |value| */
} heatmap;

/* Blue (-1) → white (0) → red (+1), by value / max |value| of its panel. */
static void colour(float v, double max_abs, uint8_t *px)
{
    if (isnan(v)) {
        memcpy(px, nan_rgb, 3);
        return;
    }
    double t = isinf(v) ? (v > 0 ? 1.0 : -1.0) : max_abs > 0 ? v / max_abs : 0.0;
    t = t > 1 ? 1 : t < -1 ? -1 : t;
    uint8_t fade = (uint8_t)lround(255.0 * (1.0 - fabs(t)));
    px[0] = t < 0 ? fade : 255;
    px[1] = fade;
    px[2] = t > 0 ? fade : 255;
}

/* Image row y: each panel's entry row y / scale (or grey below it), gaps between. */
static void draw_row(const heatmap *h, int64_t y, uint8_t *row)
{
    uint8_t *px = row;
    const int64_t r = y / h->scale;
    for (int p = 0; p < h->count; p++) {
        const lc_tensor_t *t = h->panels[p];
        const int64_t rows = t->shape[0], cols = t->shape[1];
        if (p > 0)
            for (int k = 0; k < HM_GAP; k++, px += 3)
                memcpy(px, gap_rgb, 3);
        for (int64_t c = 0; c < cols; c++) {
            uint8_t rgb[3];
            if (r < rows)
                colour(t->data[r * cols + c], h->max_abs[p], rgb);
            else
                memcpy(rgb, gap_rgb, 3);
            for (int64_t k = 0; k < h->scale; k++, px += 3)
                memcpy(px, rgb, 3);
        }
    }
}

/* libpng's state and what its callbacks report. Everything the error path
 * reads after longjmp lives here, in memory that setjmp's caller does not
 * change after setjmp: no local variable needs to survive the jump. */
typedef struct {
    png_structp png;
    png_infop info;
    const char *path;
    bool out_of_memory; /* an allocation of libpng's failed */
    char msg[256];      /* libpng's last error */
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

/* libpng allocates through lconv's hook too, so that its failures are tested. */
static png_voidp on_png_malloc(png_structp png, png_alloc_size_t size)
{
    void *p = lc_i_malloc(size);
    if (!p) ((png_ctx *)png_get_mem_ptr(png))->out_of_memory = true;
    return p;
}

static void on_png_free(png_structp png, png_voidp p)
{
    (void)png;
    lc_i_free(p);
}

/* The image as an 8-bit RGB PNG on f; row is a buffer of 3·width bytes. */
static lc_status encode(png_ctx *ctx, FILE *f, const heatmap *h, uint8_t *row)
{
    ctx->png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, ctx, on_png_error, on_png_warning,
                                         ctx, on_png_malloc, on_png_free);
    if (!ctx->png)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "'%s': libpng cannot allocate its writer",
                          ctx->path);
    ctx->info = png_create_info_struct(ctx->png);
    if (!ctx->info) {
        png_destroy_write_struct(&ctx->png, NULL);
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "'%s': libpng cannot allocate its header",
                          ctx->path);
    }
    if (setjmp(png_jmpbuf(ctx->png))) {
        png_destroy_write_struct(&ctx->png, &ctx->info);
        return lc_i_error(ctx->out_of_memory ? LC_ERR_OUT_OF_MEMORY : LC_ERR_IO, api,
                          "'%s': libpng: %s", ctx->path, ctx->msg);
    }
    png_init_io(ctx->png, f);
    png_set_IHDR(ctx->png, ctx->info, (png_uint_32)h->width, (png_uint_32)h->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(ctx->png, ctx->info);
    for (int64_t y = 0; y < h->height; y++) {
        if (y % h->scale == 0) draw_row(h, y, row); /* the next scale - 1 rows repeat it */
        png_write_row(ctx->png, row);
    }
    png_write_end(ctx->png, NULL);
    png_destroy_write_struct(&ctx->png, &ctx->info);
    return LC_OK;
}

lc_status lc_write_heatmaps_png(const char *path, int count, const lc_tensor_t *const *panels,
                                int scale)
{
    LC_CHECK_ARG(path && *path, "path is NULL or empty");
    LC_CHECK_ARG(count >= 1, "'%s': count %d; at least one panel is needed", path, count);
    LC_CHECK_ARG(panels, "'%s': panels is NULL", path);
    LC_CHECK_ARG(scale >= 0, "'%s': scale %d is negative (0 = automatic)", path, scale);
    int64_t side = 1;
    for (int p = 0; p < count; p++) {
        LC_CHECK_ARG(panels[p], "'%s': panel %d is NULL", path, p);
        LC_CHECK_ARG(panels[p]->ndim == 2, "'%s': panel %d has %d dimensions; a heatmap needs 2",
                     path, p, panels[p]->ndim);
        for (int d = 0; d < 2; d++)
            side = panels[p]->shape[d] > side ? panels[p]->shape[d] : side;
    }
    heatmap h = {panels, count, scale, 0, 0, NULL};
    if (scale == 0) h.scale = side < HM_AUTO_SIDE ? HM_AUTO_SIDE / side : 1;
    /* each term is below 2^15 · 2^31: the sums cannot overflow before they stop */
    for (int p = 0; p < count && h.width <= HM_MAX_SIDE && h.height <= HM_MAX_SIDE; p++) {
        const int64_t rows = panels[p]->shape[0], cols = panels[p]->shape[1];
        if (rows > HM_MAX_SIDE || cols > HM_MAX_SIDE) {
            h.width = HM_MAX_SIDE + 1;
            break;
        }
        h.height = rows * h.scale > h.height ? rows * h.scale : h.height;
        h.width += cols * h.scale + (p ? HM_GAP : 0);
    }
    LC_CHECK_ARG(h.width <= HM_MAX_SIDE && h.height <= HM_MAX_SIDE,
                 "'%s': the image would be more than 2^15 = %lld pixels a side (%d panel(s) of "
                 "up to %lld entries a side, %lld pixels per entry)",
                 path, (long long)HM_MAX_SIDE, count, (long long)side, (long long)h.scale);

    lc_status st = LC_OK;
    lc_i_atomic out = {0};
    png_ctx ctx = {NULL, NULL, path, false, ""};
    uint8_t *row = lc_i_malloc((size_t)(3 * h.width));
    h.max_abs = lc_i_malloc((size_t)count * sizeof *h.max_abs);
    if (!row || !h.max_abs)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate a row of %lld pixels", path,
                (long long)h.width);
    for (int p = 0; p < count; p++) {
        double m = 0;
        for (int64_t i = 0; i < panels[p]->numel; i++) {
            double a = fabs((double)panels[p]->data[i]);
            if (isfinite(a) && a > m) m = a;
        }
        h.max_abs[p] = m;
    }
    LC_TRY(lc_i_error_from(lc_i_atomic_open(&out, path), api));
    LC_TRY(encode(&ctx, out.f, &h, row));
    LC_TRY(lc_i_error_from(lc_i_atomic_commit(&out), api));

done:
    lc_i_atomic_abort(&out);
    lc_i_free(row);
    lc_i_free(h.max_abs);
    return st;
}
