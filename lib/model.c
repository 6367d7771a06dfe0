/* model.c — models as layer lists: the C builder, the one-line spec, graph building and checkpoints. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "layer.h"
#include "model.h"

extern const lc_i_layer_type lc_i_layer_linear, lc_i_layer_gcn, lc_i_layer_relu,
    lc_i_layer_leaky_relu, lc_i_layer_elu, lc_i_layer_tanh, lc_i_layer_sigmoid, lc_i_layer_dropout,
    lc_i_layer_lconv, lc_i_layer_shared, lc_i_layer_lattice, lc_i_layer_lowrank, lc_i_layer_flatten,
    lc_i_layer_diffusion;

static const lc_i_layer_type *const registry[] = {
    &lc_i_layer_linear,  &lc_i_layer_gcn,      &lc_i_layer_lconv,   &lc_i_layer_shared,
    &lc_i_layer_lattice, &lc_i_layer_lowrank,  &lc_i_layer_relu,    &lc_i_layer_leaky_relu,
    &lc_i_layer_elu,     &lc_i_layer_tanh,     &lc_i_layer_sigmoid, &lc_i_layer_dropout,
    &lc_i_layer_flatten, &lc_i_layer_diffusion};
#define N_TYPES (sizeof registry / sizeof registry[0])

/* Named models: a spec that is exactly one of these words expands to it. */
static const struct {
    const char *name, *spec;
} presets[] = {
    {"gcn", "dropout:0.5,gcn:16:nobias,relu,dropout:0.5,gcn:nobias"}, /* Kipf & Welling 2017 */
    {"mlp", "dropout:0.5,linear:16:nobias,relu,dropout:0.5,linear:nobias"},
};

const lc_i_layer_type *lc_i_layer_by_kind(lc_layer_kind kind)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (registry[i]->kind == kind) return registry[i];
    return NULL;
}

const char *lc_i_layer_name(lc_layer_kind kind)
{
    const lc_i_layer_type *t = lc_i_layer_by_kind(kind);
    return t ? t->token : "?";
}

const lc_i_layer_type *lc_i_layer_by_token(const char *token, size_t len)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (strlen(registry[i]->token) == len && !strncmp(registry[i]->token, token, len))
            return registry[i];
    return NULL;
}

lc_status lc_model_new(lc_model_t **out)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    lc_model_t *m = lc_i_calloc(1, sizeof *m);
    if (!m) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a model");
    *out = m;
    return LC_OK;
}

void lc_i_model_unbuild(lc_model_t *m)
{
    lc_optim_free(&m->opt);
    lc_i_dist_graph_free(&m->dist_graph);
    lc_i_dist_end(m); /* its scratch is sized for this graph */
    lc_cg_free(&m->cg);
    lc_i_free(m->param_layer);
    lc_i_free(m->param_decay);
    m->param_layer = NULL;
    m->param_decay = NULL;
    m->built_for = NULL;
    m->edge_part = NULL;
    m->edge_count = 0;
    lc_tensor_free(&m->batch_x);
    lc_i_free(m->batch_labels);
    lc_i_free(m->batch_mask);
    lc_i_free(m->batch_rows);
    m->batch_labels = NULL;
    m->batch_mask = NULL;
    m->batch_rows = NULL;
    m->batch_size = 0;
}

void lc_model_free(lc_model_t **pm)
{
    if (!pm || !*pm) return;
    lc_model_t *m = *pm;
    lc_i_model_unbuild(m);
    lc_i_free(m->layers);
    lc_i_free(m->spec);
    lc_i_free(m);
    *pm = NULL;
}

int lc_model_num_layers(const lc_model_t *m) { return m ? m->n_layers : 0; }

int64_t lc_model_num_params(const lc_model_t *m)
{
    if (!m || !m->cg) return 0;
    int64_t total = 0; /* the whole model's: a part's edge weights count as the whole graph's */
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        const lc_tensor_t *w = lc_i_cg_param_value(m->cg, i);
        total += lc_i_dist_part_edges(m, i) ? m->edge_count * w->shape[1] : w->numel;
    }
    return total;
}

lc_status lc_model_add(lc_model_t *m, lc_layer_desc d)
{
    LC_CHECK_ARG(m, "model is NULL");
    const lc_i_layer_type *type = lc_i_layer_by_kind(d.kind);
    LC_CHECK_ARG(type, "unknown layer kind %d", (int)d.kind);
    if (type->learnable) {
        LC_CHECK_ARG(d.width >= 0 && d.width <= (1 << 24), "%s width %lld not in [0, 2^24]",
                     type->token, (long long)d.width);
        LC_CHECK_ARG(d.generators >= 0 && d.generators <= 4096, "%s: p = %d not in [1, 4096]",
                     type->token, d.generators);
        LC_CHECK_ARG(d.rank >= 0 && d.rank <= (1 << 16), "%s: r = %d not in [1, 2^16]",
                     type->token, d.rank);
        LC_CHECK_ARG(d.kernel == 0 || (d.kernel % 2 == 1 && d.kernel <= 15),
                     "%s: k = %d is not an odd number in [1, 15]", type->token, d.kernel);
        LC_CHECK_ARG(d.form == LC_LCONV_VECTOR_FIELD || d.form == LC_LCONV_ADJACENCY,
                     "%s: unknown form %d", type->token, (int)d.form);
        LC_CHECK_ARG(d.init >= LC_EDGE_INIT_NORMAL && d.init <= LC_EDGE_INIT_ATTR,
                     "%s: unknown edge init %d", type->token, (int)d.init);
    } else if (isnan(type->default_arg)) {
        d.arg = NAN;
    } else {
        if (!(d.arg >= 0)) d.arg = type->default_arg; /* negative or NaN: the default */
        if (d.kind == LC_LAYER_DROPOUT)
            LC_CHECK_ARG(d.arg < 1, "dropout probability %g not in [0, 1)", d.arg);
    }
    if (m->n_layers == m->cap) {
        int cap = m->cap ? 2 * m->cap : 8;
        lc_layer_desc *layers = lc_i_realloc(m->layers, (size_t)cap * sizeof *layers);
        if (!layers) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow the layer list");
        m->layers = layers;
        m->cap = cap;
    }
    m->layers[m->n_layers++] = d;
    lc_i_model_unbuild(m);
    return LC_OK;
}

lc_status lc_model_set_hidden(lc_model_t *m, int64_t width)
{
    LC_CHECK_ARG(m, "model is NULL");
    LC_CHECK_ARG(width >= 1 && width <= (1 << 24), "width %lld not in [1, 2^24]", (long long)width);
    int last = -1;
    for (int i = 0; i < m->n_layers; i++)
        if (lc_i_layer_by_kind(m->layers[i].kind)->learnable) last = i;
    int changed = 0;
    for (int i = 0; i < last; i++)
        if (lc_i_layer_by_kind(m->layers[i].kind)->learnable) {
            m->layers[i].width = width;
            changed++;
        }
    LC_CHECK_ARG(changed > 0, "the model '%s' has no hidden learnable layer", lc_model_spec(m));
    lc_i_model_unbuild(m);
    return LC_OK;
}

/* An integer option value in [lo, hi]. */
static bool parse_int(const char *text, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

/* One part of a learnable token after the name: width, flag or key=value. */
static lc_status parse_option(const lc_i_layer_type *type, const char *arg, bool *has_width,
                              lc_layer_desc *d)
{
    static const struct {
        const char *name;
        unsigned bit;
    } flags[] = {{"nobias", LC_OPT_NOBIAS}, {"frozen", LC_OPT_FROZEN}, {"now0", LC_OPT_NOW0}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(arg, flags[i].name)) {
            if (!(type->options & flags[i].bit)) return LC_ERR_INVALID_ARG;
            if (flags[i].bit == LC_OPT_NOBIAS) d->no_bias = 1;
            if (flags[i].bit == LC_OPT_FROZEN) d->frozen = 1;
            if (flags[i].bit == LC_OPT_NOW0) d->no_w0 = 1;
            return LC_OK;
        }
    const char *eq = strchr(arg, '=');
    if (!eq) {
        int w;
        if (*has_width || !parse_int(arg, 1, 1 << 24, &w)) return LC_ERR_INVALID_ARG;
        d->width = w;
        *has_width = true;
        return LC_OK;
    }
    size_t key_len = (size_t)(eq - arg);
    const char *val = eq + 1;
#define KEY(k) (key_len == strlen(k) && !strncmp(arg, k, key_len))
    if (KEY("p") && (type->options & LC_OPT_P)) return parse_int(val, 1, 4096, &d->generators) ? LC_OK : LC_ERR_INVALID_ARG;
    if (KEY("r") && (type->options & LC_OPT_R)) return parse_int(val, 1, 1 << 16, &d->rank) ? LC_OK : LC_ERR_INVALID_ARG;
    if (KEY("k") && (type->options & LC_OPT_K))
        return parse_int(val, 1, 15, &d->kernel) && d->kernel % 2 ? LC_OK : LC_ERR_INVALID_ARG;
    if (KEY("form") && (type->options & LC_OPT_FORM)) {
        if (!strcmp(val, "vf")) d->form = LC_LCONV_VECTOR_FIELD;
        else if (!strcmp(val, "adj")) d->form = LC_LCONV_ADJACENCY;
        else return LC_ERR_INVALID_ARG;
        return LC_OK;
    }
    if (KEY("init") && (type->options & LC_OPT_INIT)) {
        if (!strcmp(val, "normal")) d->init = LC_EDGE_INIT_NORMAL;
        else if (!strcmp(val, "const")) d->init = LC_EDGE_INIT_CONSTANT;
        else if (!strcmp(val, "attr")) d->init = LC_EDGE_INIT_ATTR;
        else return LC_ERR_INVALID_ARG;
        return LC_OK;
    }
#undef KEY
    return LC_ERR_INVALID_ARG;
}

/* For the errors of a model without one. */
#define LEARNABLE_LAYERS "gcn, linear, lconv, shared, lowrank, lattice"

/* The options a layer accepts, for error messages. */
static void options_str(unsigned options, char *buf, size_t len)
{
    static const char *const names[] = {
        "nobias",      "p=N (1 to 4096)",        "r=N (1 to 65536)", "k=N (odd, 1 to 15)",
        "form=vf|adj", "init=normal|const|attr", "frozen",           "now0"};
    size_t off = (size_t)snprintf(buf, len, "a width");
    for (int i = 0; i < 8 && off < len; i++)
        if (options & (1u << i)) off += (size_t)snprintf(buf + off, len - off, ", %s", names[i]);
}

/* One token "name[:part]..." of a spec into a layer description. */
static lc_status parse_token(const char *tok, size_t len, int index, lc_layer_desc *d)
{
    size_t name_len = 0;
    while (name_len < len && tok[name_len] != ':') name_len++;
    const lc_i_layer_type *type = lc_i_layer_by_token(tok, name_len);
    if (!type)
        return LC_ERROR(LC_ERR_INVALID_ARG,
                        "token %d '%.*s': unknown layer (known: linear, gcn, lconv, shared, "
                        "lattice, lowrank, relu, leaky_relu, elu, tanh, sigmoid, dropout, flatten, "
                        "diffusion)",
                        index, (int)len, tok);
    *d = (lc_layer_desc){.kind = type->kind, .width = 0, .arg = -1};
    bool has_width = false;
    for (size_t at = name_len; at < len;) {
        char arg[64];
        size_t arg_len = 0, start = at + 1;
        while (start + arg_len < len && tok[start + arg_len] != ':') arg_len++;
        at = start + arg_len;
        if (arg_len == 0 || arg_len >= sizeof arg)
            return LC_ERROR(LC_ERR_INVALID_ARG, "token %d '%.*s': empty or too long argument",
                            index, (int)len, tok);
        memcpy(arg, tok + start, arg_len);
        arg[arg_len] = '\0';
        if (type->learnable) {
            if (parse_option(type, arg, &has_width, d) != LC_OK) {
                char accepted[160];
                options_str(type->options, accepted, sizeof accepted);
                return LC_ERROR(LC_ERR_INVALID_ARG,
                                "token %d '%.*s': unexpected '%s' (%s takes %s; widths are "
                                "integers in [1, 2^24])",
                                index, (int)len, tok, arg, type->token, accepted);
            }
            continue;
        }
        if (isnan(type->default_arg))
            return LC_ERROR(LC_ERR_INVALID_ARG, "token %d '%.*s': %s takes no argument", index,
                            (int)len, tok, type->token);
        if (d->arg >= 0)
            return LC_ERROR(LC_ERR_INVALID_ARG, "token %d '%.*s': %s takes one argument", index,
                            (int)len, tok, type->token);
        char *end;
        double v = strtod(arg, &end);
        if (*end || end == arg)
            return LC_ERROR(LC_ERR_INVALID_ARG, "token %d '%.*s': argument '%s' is not a number",
                            index, (int)len, tok, arg);
        /* v > FLT_MAX would become inf as a float (fuzz/fuzz_spec: "elu:1.3E264") */
        const bool dropout = type->kind == LC_LAYER_DROPOUT;
        if (!(v >= 0) || (dropout && v >= 1) || !isfinite(v) || v > FLT_MAX)
            return LC_ERROR(LC_ERR_INVALID_ARG, "token %d '%.*s': argument '%s' out of range %s",
                            index, (int)len, tok, arg, dropout ? "[0, 1)" : "[0, 3.4e38]");
        d->arg = (float)v;
    }
    return LC_OK;
}

/* spec is `word` with optional blanks around it. A preset name is matched so,
 * as tokens are: otherwise " gcn" would read as one width-less GCN layer,
 * whose canonical spec "gcn" then names the preset (found by fuzz/fuzz_spec). */
static bool is_word(const char *spec, const char *word)
{
    while (isspace((unsigned char)*spec))
        spec++;
    size_t len = strlen(word);
    if (strncmp(spec, word, len) != 0) return false;
    for (spec += len; *spec; spec++)
        if (!isspace((unsigned char)*spec)) return false;
    return true;
}

lc_status lc_model_from_spec(lc_model_t **out, const char *spec)
{
    LC_CHECK_ARG(out && spec, "NULL argument");
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (is_word(spec, presets[i].name)) spec = presets[i].spec;
    lc_status st = LC_OK;
    lc_model_t *m = NULL;
    LC_TRY(lc_model_new(&m));
    int index = 1, last_learnable = -1;
    const char *p = spec;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && isspace((unsigned char)p[trimmed - 1])) trimmed--;
        if (trimmed == 0) LC_FAIL(LC_ERR_INVALID_ARG, "token %d is empty in '%s'", index, spec);
        lc_layer_desc d;
        LC_TRY(lc_i_error_from(parse_token(p, trimmed, index, &d), __func__));
        LC_TRY(lc_i_error_from(lc_model_add(m, d), __func__));
        if (lc_i_layer_by_kind(d.kind)->learnable) last_learnable = m->n_layers - 1;
        index++;
        if (!p[len]) break;
        p += len + 1;
    }
    if (last_learnable < 0)
        LC_FAIL(LC_ERR_INVALID_ARG, "'%s' has no learnable layer (%s)", spec, LEARNABLE_LAYERS);
    for (int i = 0; i < last_learnable; i++)
        if (lc_i_layer_by_kind(m->layers[i].kind)->learnable && m->layers[i].width == 0)
            LC_FAIL(LC_ERR_INVALID_ARG,
                    "token %d '%s': width missing (only the last learnable layer may omit it)",
                    i + 1, lc_i_layer_by_kind(m->layers[i].kind)->token);
    *out = m;
done:
    if (st) lc_model_free(&m);
    return st;
}

/* The non-default options of a learnable layer, as spec text (":p=4:form=adj"). */
static size_t options_spec(const lc_layer_desc *d, char *s, size_t cap)
{
    size_t off = 0;
#define PUT(...) off += (size_t)snprintf(s + off, off < cap ? cap - off : 0, __VA_ARGS__)
    if (d->generators) PUT(":p=%d", d->generators);
    if (d->rank) PUT(":r=%d", d->rank);
    if (d->kernel) PUT(":k=%d", d->kernel);
    if (d->form == LC_LCONV_ADJACENCY) PUT(":form=adj");
    if (d->init == LC_EDGE_INIT_CONSTANT) PUT(":init=const");
    if (d->init == LC_EDGE_INIT_ATTR) PUT(":init=attr");
    if (d->frozen) PUT(":frozen");
    if (d->no_w0) PUT(":now0");
    if (d->no_bias) PUT(":nobias");
#undef PUT
    return off;
}

const char *lc_model_spec(const lc_model_t *mc)
{
    if (!mc) return "";
    lc_model_t *m = (lc_model_t *)mc; /* the spec string is a cache */
    size_t cap = 128 * (size_t)m->n_layers + 1, off = 0;
    char *s = lc_i_malloc(cap);
    if (!s) return "";
    s[0] = '\0';
    for (int i = 0; i < m->n_layers; i++) {
        const lc_layer_desc *d = &m->layers[i];
        const lc_i_layer_type *t = lc_i_layer_by_kind(d->kind);
        int64_t width = d->width ? d->width : m->classes;
        off += (size_t)snprintf(s + off, cap - off, "%s%s", i ? "," : "", t->token);
        if (t->learnable && width)
            off += (size_t)snprintf(s + off, cap - off, ":%lld", (long long)width);
        if (t->learnable) off += options_spec(d, s + off, cap - off);
        else if (!t->learnable && !isnan(t->default_arg))
            off += (size_t)snprintf(s + off, cap - off, ":%g", (double)d->arg);
    }
    lc_i_free(m->spec);
    m->spec = s;
    return s;
}

/* ---------- building the compute graph ---------- */

static lc_status add_param(lc_i_build_ctx *ctx, const lc_tensor_t *init, const char *what,
                           bool decay, lc_node *out)
{
    lc_model_t *m = ctx->model;
    int n = lc_cg_num_params(ctx->cg);
    int *layer = lc_i_realloc(m->param_layer, (size_t)(n + 1) * sizeof *layer);
    if (layer) m->param_layer = layer;
    bool *dec = lc_i_realloc(m->param_decay, (size_t)(n + 1) * sizeof *dec);
    if (dec) m->param_decay = dec;
    if (!layer || !dec) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot record parameter %d", n);
    char name[64];
    snprintf(name, sizeof name, "%d.%s.%s", ctx->layer,
             lc_i_layer_by_kind(m->layers[ctx->layer].kind)->token, what);
    lc_status st = lc_cg_parameter(ctx->cg, init, name, out);
    if (st) return st;
    m->param_layer[n] = ctx->layer;
    m->param_decay[n] = decay;
    return LC_OK;
}

lc_status lc_model_build(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg)
{
    LC_CHECK_ARG(m && ds, "NULL argument");
    lc_train_config defaults = lc_train_defaults();
    if (!cfg) cfg = &defaults;
    LC_CHECK_ARG(m->n_layers > 0, "the model has no layer");
    LC_CHECK_ARG(ds->num_classes > 0, "the dataset has no classes (no labels)");
    LC_CHECK_ARG(ds->features || ds->sparse_features || ds->samples,
                 "the dataset has no features");
    lc_status st = LC_OK;
    /* a part file's stand-in: its L-conv layers draw the whole graph's edge
     * weights for the part's edges (read from the edges file beside it) */
    lc_i_edge_rows part_edges = {0};
    for (int i = 0; ds->part && i < m->n_layers; i++) {
        const lc_layer_kind k = m->layers[i].kind;
        if (k != LC_LAYER_GCN && k != LC_LAYER_LINEAR && k != LC_LAYER_RELU &&
            k != LC_LAYER_DROPOUT && k != LC_LAYER_LCONV)
            return LC_ERROR(LC_ERR_UNSUPPORTED,
                            "a part file's data set trains gcn, lconv, linear, relu and dropout "
                            "layers; layer %d is '%s': train it on the whole data set (mpirun ... "
                            "--data SPEC), which each rank then cuts itself",
                            i, lc_i_layer_name(k));
        if (k == LC_LAYER_LCONV && !part_edges.rowptr) {
            const lc_i_part *p = ds->part;
            /* every rank of the job reads its own file here: all go on or stop together */
            st = lc_i_dist_agree_all(cfg->dist, lc_i_part_edges(p), "to read its part's edges");
            if (st) return lc_i_error_from(st, __func__);
            part_edges = (lc_i_edge_rows){.m = p->m,
                                          .rows = p->adj.n_own,
                                          .rowptr = p->adj.rowptr,
                                          .entry = p->adj.entry,
                                          .attr = p->adj.val,
                                          .local = true};
        }
    }
    lc_i_model_unbuild(m);
    m->classes = ds->num_classes;
    m->dist = cfg->dist;
    lc_rng_t init_rng;
    lc_rng_seed(&init_rng, cfg->seed);
    /* Dropout masks get their own stream, so changing one never shifts the other. */
    LC_TRY(lc_cg_new(&m->cg, lc_i_dropout_seed(cfg->seed)));
    lc_i_build_ctx ctx = {.cg = m->cg,
                          .init_rng = &init_rng,
                          .graph = ds->graph,
                          .edges = part_edges.rowptr ? &part_edges : NULL,
                          .add_param = add_param,
                          .model = m};
    lc_i_flow flow = {.node = -1};
    if (ds->samples) {
        /* Graph-level data: the graph runs on one batch [n, B, c], which the
         * trainer fills before each step; labels and mask are the batch's. */
        LC_CHECK_ARG(cfg->batch_size >= 1, "batch size %d must be at least 1", cfg->batch_size);
        const int64_t rows = ds->samples->shape[0];
        /* data-parallel: each rank holds its share of a batch */
        const int64_t batch = lc_i_dist_local_batch(
            cfg->dist, cfg->batch_size < rows ? cfg->batch_size : rows);
        const int64_t shape[3] = {ds->samples->shape[1], batch, ds->samples->shape[2]};
        LC_TRY(lc_tensor_new(&m->batch_x, 3, shape));
        m->batch_labels = lc_i_calloc((size_t)batch, sizeof *m->batch_labels);
        m->batch_mask = lc_i_calloc((size_t)batch, 1);
        m->batch_rows = lc_i_calloc((size_t)batch, sizeof *m->batch_rows);
        if (!m->batch_labels || !m->batch_mask || !m->batch_rows)
            LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a batch of %lld samples",
                    (long long)batch);
        m->batch_size = batch;
        LC_TRY(lc_cg_constant(m->cg, m->batch_x, &flow.node));
        m->batch_node = flow.node;
        flow.width = shape[2];
    } else if (ds->features) {
        LC_TRY(lc_cg_constant(m->cg, ds->features, &flow.node));
        flow.width = lc_i_cols(ds->features);
    } else {
        flow.sparse = ds->sparse_features;
        flow.width = ds->sparse_features->n_cols;
    }
    int learnable = 0;
    for (int i = 0; i < m->n_layers; i++) {
        lc_layer_desc d = m->layers[i];
        const lc_i_layer_type *type = lc_i_layer_by_kind(d.kind);
        if (type->learnable) {
            learnable++;
            if (d.width == 0) d.width = m->classes;
        }
        if (d.kind == LC_LAYER_DROPOUT && cfg->dropout >= 0) d.arg = cfg->dropout;
        ctx.layer = i;
        lc_i_cg_set_tag(m->cg, i);
        LC_TRY(lc_i_error_from(type->build(&ctx, &d, flow, &flow), __func__));
    }
    if (!learnable)
        LC_FAIL(LC_ERR_INVALID_ARG, "the model has no learnable layer (%s)", LEARNABLE_LAYERS);
    if (flow.sparse || flow.width != m->classes)
        LC_FAIL(LC_ERR_SHAPE, "the model's output width %lld differs from the %d classes",
                (long long)flow.width, m->classes);
    if (ds->samples && m->cg->nodes[flow.node].ndim != 2)
        LC_FAIL(LC_ERR_SHAPE,
                "graph-level data needs one output row per sample: put 'flatten' before the "
                "output layer (the output is [n, B, %d])",
                m->classes);
    lc_i_cg_set_tag(m->cg, -1); /* the head: log-softmax and loss */
    LC_TRY(lc_cg_log_softmax(m->cg, flow.node, &m->output));
    LC_TRY(lc_cg_cross_entropy(m->cg, m->output, ds->samples ? m->batch_labels : ds->labels,
                               ds->samples ? m->batch_mask : ds->mask[0], &m->loss));
    if (cfg->share_buffers) LC_TRY(lc_cg_share_buffers(m->cg, 1));
    LC_TRY(lc_cg_compile(m->cg, m->loss));
    LC_TRY(lc_cg_to(m->cg, m->device));
    m->built_for = ds;
    m->edge_part = part_edges.rowptr ? ds->part : NULL;
    m->edge_count = part_edges.m;
    m->built_dropout = cfg->dropout;
done:
    if (st) lc_i_model_unbuild(m);
    return lc_i_error_from(st, __func__);
}

lc_status lc_model_to(lc_model_t *m, lc_device d)
{
    LC_CHECK_ARG(m, "model is NULL");
    lc_status st = lc_device_available(d);
    if (st) return lc_i_error_from(st, __func__);
    if (m->cg && (st = lc_cg_to(m->cg, d))) return lc_i_error_from(st, __func__);
    m->device = d;
    return LC_OK;
}

const lc_tensor_t *lc_model_output(const lc_model_t *m)
{
    return (m && m->cg) ? lc_cg_value(m->cg, m->output) : NULL;
}

lc_cgraph_t *lc_model_graph(lc_model_t *m) { return m ? m->cg : NULL; }

/* ---------- checkpoints ---------- */

/* The model identity stored in a checkpoint: its spec and the data shape. */
static lc_status checkpoint_spec(const lc_model_t *m, char *buf, size_t len)
{
    const char *spec = lc_model_spec(m);
    /* A built model has layers: "" means the spec string could not be allocated,
     * and saving or matching " classes=N" would go wrong silently. */
    if (!*spec) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the model's spec");
    snprintf(buf, len, "%s classes=%d", spec, m->classes);
    return LC_OK;
}

#define MAX_CKPT_PARAMS 1024
lc_status lc_model_save(const lc_model_t *m, const char *path)
{
    LC_CHECK_ARG(m && path, "NULL argument");
    if (!m->cg) return LC_ERROR(LC_ERR_STATE, "build or train the model before saving it");
    int n = lc_cg_num_params(m->cg);
    if (n > MAX_CKPT_PARAMS) return LC_ERROR(LC_ERR_UNSUPPORTED, "%d parameters (max %d)", n, MAX_CKPT_PARAMS);
    const char *names[MAX_CKPT_PARAMS];
    const lc_tensor_t *tensors[MAX_CKPT_PARAMS];
    for (int i = 0; i < n; i++) {
        names[i] = lc_cg_param_name(m->cg, i);
        tensors[i] = lc_cg_param_tensor(m->cg, i);
    }
    char spec[1024];
    lc_status st = checkpoint_spec(m, spec, sizeof spec);
    /* partitioned: rank 0 gets the other ranks' edge weights (they own them);
     * built on a part, each rank's go into the whole graph's [m, p]. The
     * gathers are collective: all ranks go on to them, or none. */
    lc_tensor_t *whole[MAX_CKPT_PARAMS] = {0};
    st = lc_i_dist_agree_all(m->dist, st, "to prepare the checkpoint");
    if (!st) st = lc_i_dist_graph_share_edges(m);
    for (int i = 0; i < n && !st; i++)
        if (lc_i_dist_part_edges(m, i) && !(st = lc_i_dist_edges_whole(m, i, &whole[i])))
            tensors[i] = whole[i];
    /* data-parallel: the ranks hold the same parameters, rank 0 writes them.
     * Every rank has failed or none has here (the gathers agree on it); a
     * failure so far keeps each rank's own message. */
    if (!st) {
        if (lc_dist_rank(m->dist) == 0) st = lc_i_checkpoint_write(path, spec, n, names, tensors);
        st = lc_dist_agree(m->dist, st, "to write the checkpoint");
    }
    for (int i = 0; i < n; i++)
        lc_tensor_free(&whole[i]);
    return lc_i_error_from(st, __func__);
}

lc_status lc_model_load(lc_model_t *m, const char *path)
{
    LC_CHECK_ARG(m && path, "NULL argument");
    if (!m->cg) return LC_ERROR(LC_ERR_STATE, "build the model before loading '%s' into it", path);
    int n = lc_cg_num_params(m->cg);
    if (n > MAX_CKPT_PARAMS) return LC_ERROR(LC_ERR_UNSUPPORTED, "%d parameters (max %d)", n, MAX_CKPT_PARAMS);
    const char *names[MAX_CKPT_PARAMS];
    lc_tensor_t *tensors[MAX_CKPT_PARAMS];
    for (int i = 0; i < n; i++) {
        names[i] = lc_cg_param_name(m->cg, i);
        tensors[i] = lc_cg_param_tensor(m->cg, i);
    }
    char spec[1024];
    lc_status st = checkpoint_spec(m, spec, sizeof spec);
    /* built on a part: the whole graph's edge weights are read, the part's kept */
    lc_tensor_t *whole[MAX_CKPT_PARAMS] = {0};
    for (int i = 0; i < n && !st; i++)
        if (lc_i_dist_part_edges(m, i) &&
            !(st = lc_tensor_new2(&whole[i], m->edge_count, tensors[i]->shape[1])))
            tensors[i] = whole[i];
    if (!st) st = lc_i_checkpoint_read(path, spec, n, names, tensors);
    for (int i = 0; i < n; i++) {
        if (!st && whole[i]) lc_i_dist_edges_take(m, i, whole[i]);
        lc_tensor_free(&whole[i]);
    }
    st = lc_i_error_from(st, __func__);
    if (!st) lc_optim_reset(m->opt);
    return st;
}
