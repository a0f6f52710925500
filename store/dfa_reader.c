#include "dfa_reader.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_accum.h"
#include "dfa_keys.h"

#define MAX_UNITS 8

struct dfa_figures {
    dfa_accum *sums; /* row -> value */
    dfa_accum *ids;  /* distinct: (row, id) -> present */
    dfa_figure *sorted;
    size_t n;
};

dfa_figures *dfa_figures_new(void)
{
    dfa_figures *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->sums = dfa_accum_new(1000000);
    f->ids = dfa_accum_new(1000000);
    if (!f->sums || !f->ids) {
        dfa_figures_free(f);
        return NULL;
    }
    return f;
}

void dfa_figures_free(dfa_figures *f)
{
    if (!f)
        return;
    dfa_accum_free(f->sums);
    dfa_accum_free(f->ids);
    free(f->sorted);
    free(f);
}

size_t dfa_figures_count(const dfa_figures *f) { return f->n; }
const dfa_figure *dfa_figures_at(const dfa_figures *f, size_t i) { return i < f->n ? &f->sorted[i] : NULL; }

static int by_row(const void *a, const void *b) { return strcmp(((const dfa_figure *)a)->row, ((const dfa_figure *)b)->row); }

static const dfa_figure *find(const dfa_figures *f, const char *row)
{
    dfa_figure key = {row, 0};
    return f->n ? bsearch(&key, f->sorted, f->n, sizeof key, by_row) : NULL;
}

int64_t dfa_figures_get(const dfa_figures *f, const char *row)
{
    const dfa_figure *x = find(f, row);
    return x ? x->value : 0;
}

bool dfa_figures_has(const dfa_figures *f, const char *row) { return find(f, row) != NULL; }

/* Distinct sets become counts; then everything is sorted for lookups. */
static dfa_status finalize(dfa_figures *f, dfa_error *err)
{
    for (size_t i = 0; i < dfa_accum_size(f->ids); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(f->ids, i);
        if (e->amount > 0 && dfa_accum_add(f->sums, e->key, "", 1, err) != DFA_OK)
            return DFA_ERR_LIMIT;
    }
    free(f->sorted);
    f->n = 0;
    f->sorted = malloc((dfa_accum_size(f->sums) + 1) * sizeof *f->sorted);
    if (!f->sorted)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < dfa_accum_size(f->sums); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(f->sums, i);
        f->sorted[f->n++] = (dfa_figure){e->key, e->amount};
    }
    qsort(f->sorted, f->n, sizeof *f->sorted, by_row);
    return DFA_OK;
}

/* ---- which buckets cover a date range ---- */

typedef struct {
    char (*ids)[DFA_PERIOD_ID_MAX];
    size_t n, cap;
} bucket_list;

static bool push_bucket(bucket_list *b, const char *id)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        void *nb = realloc(b->ids, cap * sizeof *b->ids);
        if (!nb)
            return false;
        b->ids = nb;
        b->cap = cap;
    }
    snprintf(b->ids[b->n++], DFA_PERIOD_ID_MAX, "%s", id);
    return true;
}

/* Whole months where they fit, days elsewhere: the fewest stored buckets that
 * add up to [first, last] (an administrative month is two runs of days). */
static bool cover(dfa_date first, dfa_date last, bucket_list *out)
{
    char id[DFA_PERIOD_ID_MAX];
    for (dfa_date d = first; dfa_date_cmp(d, last) <= 0;) {
        dfa_date month_end = {d.year, d.month, dfa_days_in_month(d.year, d.month)};
        if (d.day == 1 && dfa_date_cmp(month_end, last) <= 0) {
            dfa_period_id(DFA_PERIOD_MONTH, d, id);
            d = dfa_date_add_days(month_end, 1);
        } else {
            dfa_period_id(DFA_PERIOD_DAY, d, id);
            d = dfa_date_add_days(d, 1);
        }
        if (!push_bucket(out, id))
            return false;
    }
    return true;
}

/* ---- one province ---- */

typedef struct {
    const dfa_unit *unit;
    const char *units[MAX_UNITS]; /* unit ids restated on it */
    size_t n_units;
    dfa_date first_month; /* earliest month written (stocks start there) */
    bool any_month;
    redisReply *gauges;   /* SMEMBERS of its gauge registry: the rows of its gauges */
    bucket_list period, before;
    size_t first_cmd, n_cmds;
} province_read;

typedef enum { FOR_PERIOD, FOR_BEFORE, FOR_DISTINCT, FOR_GAUGE, FOR_OTHER } cmd_purpose;

/* What each command of a pipeline is for, beside the commands themselves. */
typedef struct {
    cmd_purpose purpose;
    char *row; /* FOR_DISTINCT: the row its ids count for */
} cmd_meta;

typedef struct {
    dfa_resp *resp; /* the commands */
    cmd_meta *meta; /* one per command */
    size_t n, cap;
} cmd_list;

static bool add_cmd_for(cmd_list *l, cmd_purpose purpose, const char *row, int argc, const char *const *argv)
{
    if (!l->resp && !(l->resp = dfa_resp_new()))
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        void *nm = realloc(l->meta, cap * sizeof *l->meta);
        if (!nm)
            return false;
        l->meta = nm;
        l->cap = cap;
    }
    l->meta[l->n] = (cmd_meta){purpose, row ? strdup(row) : NULL};
    if (row && !l->meta[l->n].row)
        return false;
    l->n++;
    dfa_resp_command(l->resp, (size_t)argc);
    for (int i = 0; i < argc; i++)
        dfa_resp_str(l->resp, argv[i]);
    return !dfa_resp_failed(l->resp);
}

static bool add_cmd(cmd_list *l, int argc, const char *const *argv) { return add_cmd_for(l, FOR_OTHER, NULL, argc, argv); }

static void free_cmds(cmd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->meta[i].row);
    free(l->meta);
    dfa_resp_free(l->resp);
    memset(l, 0, sizeof *l);
}

static dfa_status run_cmds(dfa_redis *r, cmd_list *l, redisReply ***replies, dfa_error *err)
{
    *replies = calloc(l->n + 1, sizeof **replies);
    if (!*replies)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    return l->n ? dfa_redis_run(r, l->resp, *replies, err) : DFA_OK;
}

static void free_replies(redisReply **replies, size_t n)
{
    for (size_t i = 0; replies && i < n; i++)
        freeReplyObject(replies[i]);
    free(replies);
}

/* "metric|dims@unit" -> does the unit pass the filter; row written to out. */
static bool split_unit(const char *field, const province_read *p, const char *only_unit, char *row, size_t cap)
{
    const char *at = strrchr(field, '@');
    if (!at || (size_t)(at - field) >= cap)
        return false;
    const char *unit = at + 1;
    bool ours = false;
    for (size_t i = 0; i < p->n_units; i++)
        ours |= strcmp(p->units[i], unit) == 0;
    if (!ours || (only_unit && strcmp(only_unit, unit) != 0))
        return false;
    memcpy(row, field, (size_t)(at - field));
    row[at - field] = '\0';
    return true;
}

static const dfa_metric *metric_of(const dfa_catalog *c, const char *row)
{
    char name[64];
    size_t n = strcspn(row, "|");
    if (n >= sizeof name)
        return NULL;
    memcpy(name, row, n);
    name[n] = '\0';
    return dfa_catalog_metric(c, name);
}

/* A counters hash: flows (and _events) of the period, stocks of both spans. */
static dfa_status take_counters(const dfa_core *core, const province_read *p, const redisReply *h, bool in_period,
                                const char *only_unit, dfa_figures *out, dfa_error *err)
{
    char row[DFA_FIELD_MAX];
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
        if (!split_unit(h->element[i]->str, p, only_unit, row, sizeof row))
            continue;
        /* an estimate count sums like the row it counts for */
        const char *figure = strncmp(row, DFA_FIELD_ESTIMATE_PREFIX, strlen(DFA_FIELD_ESTIMATE_PREFIX)) == 0
                                 ? row + strlen(DFA_FIELD_ESTIMATE_PREFIX)
                                 : row;
        const dfa_metric *m = metric_of(dfa_core_catalog(core), figure);
        bool stock = m && m->kind == DFA_KIND_STOCK;
        int64_t v = strtoll(h->element[i + 1]->str, NULL, 10);
        if ((!in_period && !stock) || v == 0) /* a field at 0 is absent: whether one is left depends on batching */
            continue;
        if (dfa_accum_add(out->sums, row, "", v, err) != DFA_OK)
            return DFA_ERR_LIMIT;
    }
    return DFA_OK;
}

/* Latest point of one gauge series at or before `last`. */
static bool latest_point(const redisReply *h, const char *last, char *when, int64_t *value)
{
    bool found = false;
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
        const char *f = h->element[i]->str;
        if (strtoll(h->element[i + 1]->str, NULL, 10) <= 0 || strlen(f) < 20 || strncmp(f, last, 19) > 0)
            continue;
        if (!found || strcmp(f, when) > 0) {
            snprintf(when, 128, "%s", f);
            const char *bar = strrchr(f, '|');
            *value = bar ? strtoll(bar + 1, NULL, 10) : 0;
            found = true;
        }
    }
    return found;
}

/* Restating a gauge: today's unit's own report when it has one, else the sum
 * of the last reports of the units it absorbed. */
static dfa_status take_gauges(const province_read *p, redisReply **series, size_t n, const char *last,
                              const char *only_unit, dfa_figures *out, dfa_error *err)
{
    dfa_accum *own = dfa_accum_new(4096), *absorbed = dfa_accum_new(4096);
    dfa_status st = own && absorbed ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == DFA_OK && i < n; i++) {
        const char *gauge_row = p->gauges->element[i]->str; /* the registry holds rows */
        char row[DFA_FIELD_MAX], when[128];
        int64_t value;
        if (!split_unit(gauge_row, p, only_unit, row, sizeof row) || !latest_point(series[i], last, when, &value))
            continue;
        bool is_own = strcmp(strrchr(gauge_row, '@') + 1, p->unit->unit_id) == 0 || only_unit;
        st = dfa_accum_add(is_own ? own : absorbed, row, "", value, err);
    }
    for (size_t i = 0; st == DFA_OK && i < dfa_accum_size(absorbed); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(absorbed, i);
        if (dfa_accum_get(own, e->key, "") == 0)
            st = dfa_accum_add(out->sums, e->key, "", e->amount, err);
    }
    for (size_t i = 0; st == DFA_OK && i < dfa_accum_size(own); i++)
        st = dfa_accum_add(out->sums, dfa_accum_entry_at(own, i)->key, "", dfa_accum_entry_at(own, i)->amount, err);
    dfa_accum_free(own);
    dfa_accum_free(absorbed);
    return st;
}

static dfa_status take_targets(const province_read *p, const redisReply *h, const char *only_unit, dfa_figures *out,
                               dfa_error *err)
{
    char row[DFA_FIELD_MAX];
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (split_unit(h->element[i]->str, p, only_unit, row, sizeof row) &&
            dfa_accum_add(out->sums, row, "", strtoll(h->element[i + 1]->str, NULL, 10), err) != DFA_OK)
            return DFA_ERR_LIMIT;
    return DFA_OK;
}

static void list_units(const dfa_core *core, province_read *p)
{
    const dfa_provinces *ps = dfa_core_provinces(core);
    for (size_t i = 0; i < dfa_provinces_count(ps) && p->n_units < MAX_UNITS; i++)
        if (dfa_provinces_row(ps, i)->current == p->unit)
            p->units[p->n_units++] = dfa_provinces_row(ps, i)->unit_id;
}

/* A key of province p, built by dfa_keys: what the reader reads is only
 * ever named there. The buffer is static: each caller copies the key (into
 * its command list) before the next call. */
static const char *province_key(const province_read *p, const char *name)
{
    static char key[DFA_KEY_MAX];
    return dfa_key_province(key, sizeof key, p->unit->code, name) ? key : "";
}

static const char *counters_key(const province_read *p, const char *bucket, int part)
{
    static char key[DFA_KEY_MAX];
    return dfa_key_counters_part(key, sizeof key, p->unit->code, bucket, part) ? key : "";
}

/* Round trip 1: the registries and the period's targets. */
static dfa_status read_registries(dfa_redis *r, province_read *ps, size_t n, const dfa_read_spec *spec,
                                  redisReply ***targets, dfa_error *err)
{
    cmd_list l = {0};
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *months[] = {"SMEMBERS", province_key(&ps[i], "months")};
        ok &= add_cmd(&l, 2, months);
        const char *gauges[] = {"SMEMBERS", province_key(&ps[i], "gauges")};
        ok &= add_cmd(&l, 2, gauges);
        char targets[DFA_KEY_MAX];
        const char *t[] = {"HGETALL", targets};
        ok &= dfa_key_targets(targets, sizeof targets, ps[i].unit->code, spec->period_id ? spec->period_id : "-") &&
              add_cmd(&l, 2, t);
    }
    redisReply **rep = NULL;
    dfa_status st = ok ? run_cmds(r, &l, &rep, err) : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    *targets = calloc(n + 1, sizeof **targets);
    for (size_t i = 0; st == DFA_OK && i < n; i++) {
        redisReply *months = rep[3 * i];
        for (size_t k = 0; months && months->type == REDIS_REPLY_ARRAY && k < months->elements; k++) {
            dfa_date first, last;
            if (dfa_period_parse(months->element[k]->str, &first, &last, NULL) != DFA_OK)
                continue;
            if (!ps[i].any_month || dfa_date_cmp(first, ps[i].first_month) < 0)
                ps[i].first_month = first;
            ps[i].any_month = true;
        }
        ps[i].gauges = rep[3 * i + 1];
        rep[3 * i + 1] = NULL;
        (*targets)[i] = rep[3 * i + 2];
        rep[3 * i + 2] = NULL;
    }
    free_replies(rep, l.n);
    free_cmds(&l);
    return st;
}

/* The rows of a distinct metric: its total, and one per value of each enum or
 * boolean breakdown of the feeds that feed it (the catalog allows no other
 * breakdown on a distinct, so every row there can be is known here). */
typedef struct {
    const char **dim, **value; /* borrowed from the catalog; NULL for the total */
    char **figure;             /* owned: the row without its unit */
    size_t n;
} distinct_rows;

static void free_distinct_rows(distinct_rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->figure[i]);
    free(r->figure);
    free(r->dim);
    free(r->value);
    memset(r, 0, sizeof *r);
}

static bool push_distinct_row(distinct_rows *r, const char *metric, const char *dim, const char *value)
{
    char figure[DFA_FIELD_MAX];
    if (dim)
        snprintf(figure, sizeof figure, "%s|%s=%s", metric, dim, value);
    else
        snprintf(figure, sizeof figure, "%s", metric);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->figure[i], figure) == 0)
            return true;
    const char **nd = realloc(r->dim, (r->n + 1) * sizeof *nd);
    if (nd)
        r->dim = nd;
    const char **nv = realloc(r->value, (r->n + 1) * sizeof *nv);
    if (nv)
        r->value = nv;
    char **nf = realloc(r->figure, (r->n + 1) * sizeof *nf);
    if (nf)
        r->figure = nf;
    if (!nd || !nv || !nf || !(r->figure[r->n] = strdup(figure)))
        return false;
    r->dim[r->n] = dim, r->value[r->n] = value;
    r->n++;
    return true;
}

static bool list_distinct_rows(const dfa_catalog *cat, const dfa_metric *metric, distinct_rows *r)
{
    static const char *const yes_no[] = {"yes", "no"};
    bool ok = push_distinct_row(r, metric->name, NULL, NULL);
    for (size_t t = 0; t < dfa_catalog_type_count(cat); t++) {
        const dfa_event_type *type = dfa_catalog_type_at(cat, t);
        for (size_t f = 0; f < type->n_feeds; f++) {
            if (type->feeds[f].metric != metric)
                continue;
            for (size_t b = 0; b < type->feeds[f].n_by; b++) {
                const dfa_field_spec *by = type->feeds[f].by[b];
                bool boolean = by->type == DFA_FIELD_BOOLEAN;
                size_t n = boolean ? 2 : by->n_values;
                for (size_t v = 0; v < n; v++)
                    ok &= push_distinct_row(r, metric->name, by->name, boolean ? yes_no[v] : by->values[v]);
            }
        }
    }
    return ok;
}

/* Round trip 2: counters of the period and before it, distinct ids, gauges. */
static dfa_status read_values(const dfa_core *core, province_read *ps, size_t n, const dfa_read_spec *spec, cmd_list *l,
                              dfa_error *err)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        province_read *p = &ps[i];
        ok &= cover(spec->first, spec->last, &p->period);
        if (p->any_month && dfa_date_cmp(p->first_month, spec->first) < 0)
            ok &= cover(p->first_month, dfa_date_add_days(spec->first, -1), &p->before);
        p->first_cmd = l->n;
        for (size_t b = 0; b < p->period.n; b++)
            for (int part = 0; part < dfa_counter_parts(p->period.ids[b]); part++) {
                const char *c[] = {"HGETALL", counters_key(p, p->period.ids[b], part)};
                ok &= add_cmd_for(l, FOR_PERIOD, NULL, 2, c);
            }
        for (size_t b = 0; b < p->before.n; b++)
            for (int part = 0; part < dfa_counter_parts(p->before.ids[b]); part++) {
                const char *c[] = {"HGETALL", counters_key(p, p->before.ids[b], part)};
                ok &= add_cmd_for(l, FOR_BEFORE, NULL, 2, c);
            }
        const dfa_catalog *cat = dfa_core_catalog(core);
        for (size_t m = 0; m < dfa_catalog_metric_count(cat); m++) {
            const dfa_metric *metric = dfa_catalog_metric_at(cat, m);
            if (metric->kind != DFA_KIND_DISTINCT)
                continue;
            distinct_rows rows = {0};
            ok &= list_distinct_rows(cat, metric, &rows);
            for (size_t u = 0; u < p->n_units; u++) {
                if (spec->unit_id && strcmp(spec->unit_id, p->units[u]) != 0)
                    continue;
                for (size_t k = 0; k < rows.n; k++)
                    for (size_t b = 0; b < p->period.n; b++) {
                        char row[DFA_FIELD_MAX], key[DFA_KEY_MAX];
                        const char *c[] = {"HGETALL", key};
                        ok &= dfa_row(row, sizeof row, metric->name, rows.dim[k], rows.value[k], NULL, p->units[u]) &&
                              dfa_key_distinct(key, sizeof key, p->unit->code, p->period.ids[b], row) &&
                              add_cmd_for(l, FOR_DISTINCT, rows.figure[k], 2, c);
                    }
            }
            free_distinct_rows(&rows);
        }
        for (size_t g = 0; p->gauges && p->gauges->type == REDIS_REPLY_ARRAY && g < p->gauges->elements; g++) {
            char key[DFA_KEY_MAX];
            const char *c[] = {"HGETALL", key};
            ok &= dfa_key_gauge(key, sizeof key, p->unit->code, p->gauges->element[g]->str) &&
                  add_cmd_for(l, FOR_GAUGE, NULL, 2, c);
        }
        p->n_cmds = l->n - p->first_cmd;
    }
    return ok ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
}

static dfa_status take_values(const dfa_core *core, province_read *p, const cmd_list *l, redisReply **rep,
                              const dfa_read_spec *spec, dfa_figures *out, dfa_error *err)
{
    dfa_status st = DFA_OK;
    size_t first_gauge = 0, n_gauges = 0;
    for (size_t k = p->first_cmd; st == DFA_OK && k < p->first_cmd + p->n_cmds; k++) {
        const redisReply *h = rep[k];
        switch (l->meta[k].purpose) {
        case FOR_PERIOD:
        case FOR_BEFORE:
            st = take_counters(core, p, h, l->meta[k].purpose == FOR_PERIOD, spec->unit_id, out, err);
            break;
        case FOR_DISTINCT:
            for (size_t i = 0; st == DFA_OK && h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
                if (strtoll(h->element[i + 1]->str, NULL, 10) > 0)
                    st = dfa_accum_add(out->ids, l->meta[k].row, h->element[i]->str, 1, err);
            break;
        case FOR_GAUGE:
            if (n_gauges++ == 0)
                first_gauge = k;
            break;
        default:
            break;
        }
    }
    if (st == DFA_OK && n_gauges) {
        char last[32];
        snprintf(last, sizeof last, "%04d-%02d-%02dT23:59:59", spec->last.year, spec->last.month, spec->last.day);
        st = take_gauges(p, rep + first_gauge, n_gauges, last, spec->unit_id, out, err);
    }
    return st;
}

static void mark_reported(const province_read *p, size_t index, const dfa_figures *province_figures, dfa_read_info *info)
{
    bool any = false;
    for (size_t i = 0; i < dfa_accum_size(province_figures->sums) && !any; i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(province_figures->sums, i);
        any = e->amount > 0 && (strcmp(e->key, DFA_ROW_EVENTS) == 0 || strncmp(e->key, "nil|", 4) == 0);
    }
    (void)p;
    if (any && index < 128) {
        info->reported[index] = true;
        info->provinces_reported++;
    }
}

/* Adds one province's figures into the total (sums add, id sets unite). */
static dfa_status merge_into(dfa_figures *total, const dfa_figures *one, dfa_error *err)
{
    for (size_t i = 0; i < dfa_accum_size(one->sums); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(one->sums, i);
        if (dfa_accum_add(total->sums, e->key, "", e->amount, err) != DFA_OK)
            return DFA_ERR_LIMIT;
    }
    for (size_t i = 0; i < dfa_accum_size(one->ids); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(one->ids, i);
        if (dfa_accum_get(total->ids, e->key, e->field) == 0 && dfa_accum_add(total->ids, e->key, e->field, 1, err) != DFA_OK)
            return DFA_ERR_LIMIT;
    }
    return DFA_OK;
}

dfa_status dfa_read_figures(dfa_redis *r, const dfa_core *core, const dfa_unit *province, const dfa_read_spec *spec,
                            dfa_figures *out, dfa_figures **each, dfa_read_info *info, dfa_error *err)
{
    const dfa_provinces *all = dfa_core_provinces(core);
    size_t n = province ? 1 : dfa_provinces_current_count(all);
    province_read *ps = calloc(n, sizeof *ps);
    if (!ps)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    memset(info, 0, sizeof *info);
    uint64_t trips_before = dfa_redis_round_trips(r);
    for (size_t i = 0; i < n; i++) {
        ps[i].unit = province ? province : dfa_provinces_current(all, i);
        list_units(core, &ps[i]);
    }
    redisReply **targets = NULL, **rep = NULL;
    cmd_list l = {0};
    dfa_status st = read_registries(r, ps, n, spec, &targets, err);
    if (st == DFA_OK)
        st = read_values(core, ps, n, spec, &l, err);
    if (st == DFA_OK)
        st = run_cmds(r, &l, &rep, err);
    for (size_t i = 0; st == DFA_OK && i < n; i++) {
        dfa_figures *one = dfa_figures_new();
        if (!one) {
            st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
            break;
        }
        st = take_values(core, &ps[i], &l, rep, spec, one, err);
        if (st == DFA_OK)
            st = take_targets(&ps[i], targets[i], spec->unit_id, one, err);
        if (st == DFA_OK) {
            size_t index = 0;
            while (index < dfa_provinces_current_count(all) && dfa_provinces_current(all, index) != ps[i].unit)
                index++;
            mark_reported(&ps[i], index, one, info);
            st = merge_into(out, one, err);
        }
        if (st == DFA_OK && each && !province && (st = finalize(one, err)) == DFA_OK)
            each[i] = one;
        else
            dfa_figures_free(one);
    }
    if (st == DFA_OK)
        st = finalize(out, err);
    info->round_trips = dfa_redis_round_trips(r) - trips_before;
    free_replies(rep, l.n);
    free_cmds(&l);
    for (size_t i = 0; i < n; i++) {
        freeReplyObject(targets ? targets[i] : NULL);
        freeReplyObject(ps[i].gauges);
        free(ps[i].period.ids);
        free(ps[i].before.ids);
    }
    free(targets);
    free(ps);
    return st;
}

json_t *dfa_read_offsets(dfa_redis *r, const dfa_core *core, int64_t *moved, dfa_error *err)
{
    const dfa_provinces *ps = dfa_core_provinces(core);
    size_t n = dfa_provinces_current_count(ps);
    dfa_resp *cmds = dfa_resp_new();
    redisReply **rep = calloc(n + 1, sizeof *rep);
    json_t *offsets = json_object();
    bool ok = cmds && rep && offsets;
    for (size_t i = 0; ok && i < n; i++) {
        char key[DFA_KEY_MAX];
        ok = dfa_key_province(key, sizeof key, dfa_provinces_current(ps, i)->code, "off");
        const char *argv[] = {"HGETALL", key};
        dfa_resp_argv(cmds, argv, 2);
    }
    if (!ok || dfa_resp_failed(cmds)) {
        dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        json_decref(offsets);
        offsets = NULL;
    } else if (dfa_redis_run(r, cmds, rep, err) != DFA_OK) {
        json_decref(offsets);
        offsets = NULL;
    }
    for (size_t i = 0; offsets && i < n; i++) {
        int64_t sum = 0;
        for (size_t k = 0; rep[i] && rep[i]->type == REDIS_REPLY_ARRAY && k + 1 < rep[i]->elements; k += 2) {
            json_int_t v = strtoll(rep[i]->element[k + 1]->str, NULL, 10);
            json_t *cur = json_object_get(offsets, rep[i]->element[k]->str);
            if (!cur || json_integer_value(cur) < v)
                json_object_set_new(offsets, rep[i]->element[k]->str, json_integer(v));
            sum += v;
        }
        if (moved)
            moved[i] = sum;
    }
    for (size_t i = 0; rep && i < n; i++)
        freeReplyObject(rep[i]);
    dfa_resp_free(cmds);
    free(rep);
    return offsets;
}
