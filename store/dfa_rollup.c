#include "dfa_rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_buffer.h"
#include "dfa_format.h"
#include "dfa_keys.h"
#include "dfa_reader.h"

#define MAX_SCOPES 128

/* ---- dates ---- */

static dfa_date year_before(dfa_date d)
{
    dfa_date p = {d.year - 1, d.month, d.day};
    if (p.month == 2 && p.day == 29)
        p.day = 28;
    return p;
}

static void iso_date(dfa_date d, char out[16]) { snprintf(out, 16, "%04d-%02d-%02d", d.year, d.month, d.day); }

/* The same period id a year earlier: every 4-digit year in it, minus one. */
static void shift_id(const char *id, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = id; *p && n + 5 < cap;) {
        if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
            p[3] >= '0' && p[3] <= '9' && (p == id || p[-1] < '0' || p[-1] > '9')) {
            int year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
            n += (size_t)snprintf(out + n, cap - n, "%04d", year - 1);
            p += 4;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
}

/* ---- rows ---- */

/* Percent with one decimal, rounded half away from zero, from integers. */
static json_t *percent(int64_t part, int64_t whole)
{
    if (whole == 0)
        return json_null();
    __int128 tenths = (__int128)part * 1000;
    tenths = tenths >= 0 ? (tenths + (whole > 0 ? whole : -whole) / 2) / whole : (tenths - (whole > 0 ? whole : -whole) / 2) / whole;
    return json_real((double)(int64_t)tenths / 10.0);
}

static bool prefixed(const char *row, const char *prefix) { return strncmp(row, prefix, strlen(prefix)) == 0; }

static bool reportable(const char *row)
{
    return row[0] != '_' && !prefixed(row, "plan|") && !prefixed(row, "nil|") && !prefixed(row, DFA_FIELD_ESTIMATE_PREFIX);
}

/* A metric's own row (per currency for money), not one of its breakdowns. */
static bool is_total_row(const char *row)
{
    const char *bar = strchr(row, '|');
    return !bar || (prefixed(bar, "|cur=") && !strchr(bar + 1, '|'));
}

static const dfa_metric *metric_of_row(const dfa_core *core, const char *row)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(row, "|"), row);
    return dfa_catalog_metric(dfa_core_catalog(core), name);
}

static int64_t get_prefixed(const dfa_figures *f, const char *prefix, const char *row)
{
    char key[320];
    snprintf(key, sizeof key, "%s%s", prefix, row);
    return dfa_figures_get(f, key);
}

/* What one scope's rows are read against. */
typedef struct {
    const dfa_core *core;
    const dfa_figures *cur, *prev;
    const json_t *national_rows; /* share of the nation; NULL for the nation itself */
    json_t *problems;            /* data problems found, appended */
} scope_rows;

static void add_problem(scope_rows *s, const char *kind, const char *row, int64_t value)
{
    json_array_append_new(s->problems, json_pack("{s:s,s:s,s:I}", "kind", kind, "row", row, "value", (json_int_t)value));
}

/* One row: the value and how it compares. Last year is known when it has
 * events for the row (even summing to 0) or a nil declaration of the metric;
 * otherwise previous is null ("chưa có số liệu cùng kỳ"), never a 0. */
static json_t *row_object(scope_rows *s, const char *row, const dfa_metric *m)
{
    const char *metric = m ? m->name : row;
    int64_t value = dfa_figures_get(s->cur, row), previous = dfa_figures_get(s->prev, row);
    bool total = is_total_row(row), unit_scope = s->national_rows != NULL;
    bool nil_now = unit_scope && total && get_prefixed(s->cur, "nil|", metric) > 0;
    bool nil_before = get_prefixed(s->prev, "nil|", metric) > 0;
    bool known = dfa_figures_has(s->prev, row) || nil_before;
    bool negative = m && m->kind == DFA_KIND_STOCK && value < 0;
    char plan_row[320];
    snprintf(plan_row, sizeof plan_row, "plan|%s", row);

    json_t *o = json_object();
    json_object_set_new(o, "value", json_integer(value));
    json_object_set_new(o, "previous", known ? json_integer(previous) : json_null());
    json_object_set_new(o, "diff", known ? json_integer(value - previous) : json_null());
    json_object_set_new(o, "pct", known && previous > 0 ? percent(value - previous, previous) : json_null());
    if (!known)
        json_object_set_new(o, "pct_note", json_string("no data for the same period of the year before"));
    else if (previous == 0)
        json_object_set_new(o, "pct_note", json_string("no base: nothing in the same period of the year before"));
    else if (previous < 0)
        json_object_set_new(o, "pct_note", json_string("no base: the same period of the year before is negative"));
    if (nil_before && previous == 0 && total)
        json_object_set_new(o, "previous_declared_none", json_true());
    if (dfa_figures_has(s->cur, plan_row)) {
        int64_t plan = dfa_figures_get(s->cur, plan_row);
        json_object_set_new(o, "plan", json_integer(plan));
        json_object_set_new(o, "plan_pct", percent(value, plan));
    }
    if (nil_now && value == 0)
        json_object_set_new(o, "declared_none", json_true());
    else if (nil_now)
        add_problem(s, "nil_contradicted", row, value);
    if (get_prefixed(s->cur, DFA_FIELD_ESTIMATE_PREFIX, row) > 0)
        json_object_set_new(o, "estimated", json_true());
    if (negative) {
        json_object_set_new(o, "problem", json_string("negative_stock"));
        add_problem(s, "negative_stock", row, value);
    }
    if (s->national_rows) {
        int64_t nat = json_integer_value(json_object_get(json_object_get(s->national_rows, row), "value"));
        json_object_set_new(o, "share_pct", negative || nat <= 0 ? json_null() : percent(value, nat));
    }
    return o;
}

static bool worth_a_row(const scope_rows *s, const char *row, const dfa_metric *m)
{
    char plan_row[320];
    snprintf(plan_row, sizeof plan_row, "plan|%s", row);
    return dfa_figures_get(s->cur, row) != 0 || dfa_figures_get(s->prev, row) != 0 || dfa_figures_has(s->cur, plan_row) ||
           get_prefixed(s->cur, DFA_FIELD_ESTIMATE_PREFIX, row) > 0 ||
           (s->national_rows && is_total_row(row) && m && get_prefixed(s->cur, "nil|", m->name) > 0);
}

static void consider(scope_rows *s, json_t *rows, const char *row)
{
    if (!reportable(row) || json_object_get(rows, row))
        return;
    const dfa_metric *m = metric_of_row(s->core, row);
    if (worth_a_row(s, row, m))
        json_object_set_new(rows, row, row_object(s, row, m));
}

/* A money metric declared nil: "không có" as its bare row when no currency has
 * an amount, else each amount contradicts the declaration. */
static void declared_money(scope_rows *s, json_t *rows, const char *metric)
{
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s|cur=", metric);
    bool contradicted = false;
    if (!s->national_rows)
        return;
    for (size_t i = 0; i < dfa_figures_count(s->cur); i++) {
        const dfa_figure *f = dfa_figures_at(s->cur, i);
        if (prefixed(f->row, prefix) && !strchr(f->row + strlen(prefix), '|') && f->value != 0) {
            add_problem(s, "nil_contradicted", f->row, f->value);
            contradicted = true;
        }
    }
    if (!contradicted && !json_object_get(rows, metric))
        json_object_set_new(rows, metric, json_pack("{s:i,s:b}", "value", 0, "declared_none", 1));
}

/* Every row either year has, every metric declared nil, every target. */
static json_t *rows_of(scope_rows *s)
{
    json_t *rows = json_object();
    const dfa_figures *both[2] = {s->cur, s->prev};
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < dfa_figures_count(both[w]); i++) {
            const char *row = dfa_figures_at(both[w], i)->row;
            if (prefixed(row, "nil|") && w == 0 && metric_of_row(s->core, row + 4) &&
                metric_of_row(s->core, row + 4)->money)
                declared_money(s, rows, row + 4);
            else if (prefixed(row, "nil|") && w == 0)
                consider(s, rows, row + 4);
            else if (prefixed(row, "plan|") && w == 0)
                consider(s, rows, row + 5);
            else
                consider(s, rows, row);
        }
    return rows;
}

static bool reported(const dfa_figures *f)
{
    if (dfa_figures_get(f, "_events") > 0)
        return true;
    for (size_t i = 0; i < dfa_figures_count(f); i++)
        if (strncmp(dfa_figures_at(f, i)->row, "nil|", 4) == 0 && dfa_figures_at(f, i)->value > 0)
            return true;
    return false;
}

/* The units a historic report is made of: those in force at some point of the period. */
static size_t historic_units(const dfa_core *core, const dfa_rollup_spec *spec, const dfa_unit **out)
{
    const dfa_provinces *ps = dfa_core_provinces(core);
    size_t n = 0;
    for (size_t i = 0; i < dfa_provinces_count(ps) && n < MAX_SCOPES; i++) {
        const dfa_unit *u = dfa_provinces_row(ps, i);
        if ((!u->has_from || dfa_date_cmp(u->valid_from, spec->last) <= 0) &&
            (!u->has_to || dfa_date_cmp(spec->first, u->valid_to) <= 0))
            out[n++] = u;
    }
    return n;
}

static dfa_status read_pair(dfa_redis *r, const dfa_core *core, const dfa_unit *province, const dfa_read_spec *cur_spec,
                            const dfa_read_spec *prev_spec, dfa_figures **cur, dfa_figures **prev, dfa_figures **cur_each,
                            dfa_figures **prev_each, dfa_read_info *info, dfa_error *err)
{
    dfa_read_info prev_info;
    *cur = dfa_figures_new();
    *prev = dfa_figures_new();
    if (!*cur || !*prev)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = dfa_read_figures(r, core, province, cur_spec, *cur, cur_each, info, err);
    return st ? st : dfa_read_figures(r, core, province, prev_spec, *prev, prev_each, &prev_info, err);
}

static json_t *scope_object(const dfa_core *core, const dfa_unit *u, const dfa_figures *cur, const dfa_figures *prev,
                            const json_t *nat_rows)
{
    scope_rows s = {core, cur, prev, nat_rows, json_array()};
    json_t *rows = rows_of(&s);
    return json_pack("{s:s,s:s,s:s,s:b,s:o,s:o}", "unit", u->unit_id, "name", u->name, "kind",
                     u->is_city ? "thanh_pho" : "tinh", "reported", reported(cur), "rows", rows, "problems", s.problems);
}

/* Coverage: how many of the units reported, and the missing ones by id and by their name of the time. */
static json_t *coverage_of(size_t reported_n, size_t of, json_t *missing, json_t *missing_names)
{
    return json_pack("{s:I,s:I,s:o,s:o}", "reported", (json_int_t)reported_n, "of", (json_int_t)of, "missing", missing,
                     "missing_names", missing_names);
}

/* The scopes of the document: every current unit, every unit in force then
 * (historic), or the one unit asked for. Historic coverage is counted here. */
static dfa_status add_scopes(dfa_redis *r, const dfa_core *core, const dfa_rollup_spec *spec, const dfa_read_spec *cur_spec,
                             const dfa_read_spec *prev_spec, dfa_figures **cur_each, dfa_figures **prev_each,
                             json_t *doc, const json_t *nat_rows, dfa_error *err)
{
    const dfa_provinces *ps = dfa_core_provinces(core);
    json_t *scopes = json_array();
    json_object_set_new(doc, "provinces", scopes);
    if (!spec->historic && !spec->unit_id) {
        for (size_t i = 0; i < dfa_provinces_current_count(ps); i++)
            json_array_append_new(scopes, scope_object(core, dfa_provinces_current(ps, i), cur_each[i], prev_each[i], nat_rows));
        return DFA_OK;
    }
    const dfa_unit *units[MAX_SCOPES];
    size_t n = 0;
    if (spec->unit_id)
        units[n++] = dfa_provinces_by_unit_id(ps, spec->unit_id);
    else
        n = historic_units(core, spec, units);
    json_t *missing = json_array(), *names = json_array();
    size_t n_reported = 0;
    dfa_status st = DFA_OK;
    for (size_t i = 0; st == DFA_OK && i < n; i++) {
        dfa_read_spec uc = *cur_spec, up = *prev_spec;
        if (spec->historic)
            uc.unit_id = up.unit_id = units[i]->unit_id;
        dfa_figures *fc = NULL, *fp = NULL;
        dfa_read_info ui;
        st = read_pair(r, core, units[i]->current, &uc, &up, &fc, &fp, NULL, NULL, &ui, err);
        if (st == DFA_OK) {
            json_array_append_new(scopes, scope_object(core, units[i], fc, fp, nat_rows));
            if (reported(fc))
                n_reported++;
            else
                json_array_append_new(missing, json_string(units[i]->unit_id)),
                    json_array_append_new(names, json_string(units[i]->name));
        }
        dfa_figures_free(fc);
        dfa_figures_free(fp);
    }
    if (!spec->unit_id) /* the nation of the time: its units, not today's 34 */
        json_object_set_new(json_object_get(doc, "national"), "coverage", coverage_of(n_reported, n, missing, names));
    else
        json_decref(missing), json_decref(names);
    return st;
}

dfa_status dfa_rollup_build(dfa_redis *r, const dfa_core *core, const dfa_rollup_spec *spec, json_t **out, dfa_error *err)
{
    dfa_date cutoff = dfa_date_cmp(spec->as_of, spec->last) < 0 ? spec->as_of : spec->last;
    if (dfa_date_cmp(cutoff, spec->first) < 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "as-of date is before the period starts");
    const dfa_provinces *ps = dfa_core_provinces(core);
    if (spec->unit_id && !dfa_provinces_by_unit_id(ps, spec->unit_id))
        return dfa_fail(err, DFA_ERR_CONFIG, "no unit \"%s\"", spec->unit_id);
    char prev_id[64] = "";
    if (spec->has_id)
        shift_id(spec->label, prev_id, sizeof prev_id);
    dfa_read_spec cur_spec = {spec->first, cutoff, spec->has_id ? spec->label : NULL, NULL};
    dfa_read_spec prev_spec = {year_before(spec->first), year_before(cutoff), spec->has_id ? prev_id : NULL, NULL};
    size_t n_current = dfa_provinces_current_count(ps);
    dfa_figures *cur = NULL, *prev = NULL, *cur_each[MAX_SCOPES] = {0}, *prev_each[MAX_SCOPES] = {0};
    dfa_read_info info;
    dfa_status st = read_pair(r, core, NULL, &cur_spec, &prev_spec, &cur, &prev, cur_each, prev_each, &info, err);

    json_t *doc = NULL;
    if (st == DFA_OK) {
        char a[16], b[16], c[16], pa[16], pb[16];
        iso_date(spec->first, a), iso_date(spec->last, b), iso_date(cutoff, c);
        iso_date(prev_spec.first, pa), iso_date(prev_spec.last, pb);
        scope_rows nation = {core, cur, prev, NULL, json_array()};
        json_t *national = json_object(), *missing = json_array(), *names = json_array();
        json_t *nat_rows = rows_of(&nation);
        for (size_t i = 0; i < n_current; i++)
            if (!cur_each[i] || !reported(cur_each[i])) {
                json_array_append_new(missing, json_string(dfa_provinces_current(ps, i)->code));
                json_array_append_new(names, json_string(dfa_provinces_current(ps, i)->name));
            }
        json_object_set_new(national, "coverage", coverage_of(info.provinces_reported, n_current, missing, names));
        json_object_set_new(national, "rows", nat_rows);
        json_object_set_new(national, "problems", nation.problems);
        doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:o}", "schema", "dfa.rollup/2", "period", spec->label,
                        "first", a, "last", b, "as_of", c, "compared_with", "first", pa, "last", pb, "units",
                        spec->historic ? "historic" : "current", "scope", spec->unit_id ? spec->unit_id : "national",
                        "national", national);
        st = add_scopes(r, core, spec, &cur_spec, &prev_spec, cur_each, prev_each, doc, nat_rows, err);
    }
    for (size_t i = 0; i < MAX_SCOPES; i++) {
        dfa_figures_free(cur_each[i]);
        dfa_figures_free(prev_each[i]);
    }
    dfa_figures_free(cur);
    dfa_figures_free(prev);
    if (st != DFA_OK) {
        json_decref(doc);
        return st;
    }
    *out = doc;
    return DFA_OK;
}

char *dfa_rollup_json(const json_t *doc)
{
    return dfa_json_line(doc, JSON_SORT_KEYS | JSON_INDENT(1) | JSON_REAL_PRECISION(6));
}

char *dfa_json_line(const json_t *doc, size_t flags)
{
    char *s = json_dumps(doc, flags);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *out = realloc(s, n + 2);
    if (!out) {
        free(s);
        return NULL;
    }
    out[n] = '\n', out[n + 1] = '\0';
    return out;
}


/* ---- CSV ---- */

static void csv_num(dfa_buffer *t, const json_t *v)
{
    char pct[DFA_FORMAT_MAX];
    if (json_is_integer(v))
        dfa_buffer_addf(t, ",%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        dfa_buffer_addf(t, ",%s", dfa_format_plain_pct(json_real_value(v), pct, sizeof pct));
    else
        dfa_buffer_addf(t, ",");
}

static int by_string(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static void csv_rows(dfa_buffer *t, const char *scope, const char *name, const json_t *rows)
{
    const char *row;
    json_t *o;
    /* rows in sorted order, as in the JSON */
    size_t n = json_object_size(rows), k = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    if (!keys) {
        t->failed = true;
        return;
    }
    json_object_foreach((json_t *)rows, row, o) keys[k++] = row;
    qsort(keys, k, sizeof *keys, by_string);
    for (size_t i = 0; i < k; i++) {
        o = json_object_get(rows, keys[i]);
        dfa_buffer_addf(t, "%s,\"%s\",%s", scope, name, keys[i]);
        static const char *const cols[] = {"value", "previous", "diff", "pct", "plan", "plan_pct", "share_pct"};
        for (size_t c = 0; c < 7; c++)
            csv_num(t, json_object_get(o, cols[c]));
        dfa_buffer_addf(t, ",%s,%s,%s\n", json_is_true(json_object_get(o, "declared_none")) ? "true" : "",
             json_is_true(json_object_get(o, "estimated")) ? "true" : "",
             json_is_string(json_object_get(o, "problem")) ? json_string_value(json_object_get(o, "problem")) : "");
    }
    free(keys);
}

char *dfa_rollup_csv(const json_t *doc)
{
    dfa_buffer t = {0};
    dfa_buffer_addf(&t, "scope,name,row,value,previous,diff,pct,plan,plan_pct,share_pct,declared_none,estimated,problem\n");
    if (strcmp(json_string_value(json_object_get(doc, "scope")), "national") == 0)
        csv_rows(&t, "national", "Toàn quốc", json_object_get(json_object_get(doc, "national"), "rows"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "provinces"), i, p)
        csv_rows(&t, json_string_value(json_object_get(p, "unit")), json_string_value(json_object_get(p, "name")),
                 json_object_get(p, "rows"));
    return dfa_buffer_finish(&t);
}
