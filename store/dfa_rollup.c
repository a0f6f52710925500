#include "dfa_rollup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_iso.h"
#include "dfa_reader.h"

#define MAX_SCOPES 128

/* ---- a growable string ---- */

typedef struct {
    char *s;
    size_t n, cap;
    bool failed;
} text;

static void addf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *ns = realloc(t->s, cap);
        if (!ns) {
            t->failed = true;
            return;
        }
        t->s = ns, t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    t->n += (size_t)n;
}

static char *finish_text(text *t)
{
    if (t->failed) {
        free(t->s);
        return NULL;
    }
    return t->s ? t->s : strdup("");
}

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

static bool reportable(const char *row) { return row[0] != '_' && strncmp(row, "plan|", 5) != 0 && strncmp(row, "nil|", 4) != 0; }

static json_t *row_object(int64_t value, int64_t previous, bool has_plan, int64_t plan, bool nil, const json_t *national)
{
    json_t *o = json_object();
    json_object_set_new(o, "value", json_integer(value));
    json_object_set_new(o, "previous", json_integer(previous));
    json_object_set_new(o, "diff", json_integer(value - previous));
    json_object_set_new(o, "pct", percent(value - previous, previous));
    if (previous == 0)
        json_object_set_new(o, "pct_note", json_string("no base: nothing in the same period of the year before"));
    if (has_plan) {
        json_object_set_new(o, "plan", json_integer(plan));
        json_object_set_new(o, "plan_pct", percent(value, plan));
    }
    if (nil)
        json_object_set_new(o, "declared_none", json_true());
    if (national) {
        int64_t total = json_integer_value(json_object_get(national, "value"));
        json_object_set_new(o, "share_pct", percent(value, total));
    }
    return o;
}

/* Every reportable row of either year, with its comparisons. */
static json_t *rows_of(const dfa_figures *cur, const dfa_figures *prev, const json_t *national_rows)
{
    json_t *rows = json_object();
    const dfa_figures *both[2] = {cur, prev};
    for (int w = 0; w < 2; w++) {
        for (size_t i = 0; i < dfa_figures_count(both[w]); i++) {
            const char *row = dfa_figures_at(both[w], i)->row;
            if (!reportable(row) || json_object_get(rows, row))
                continue;
            char plan[300], nil[300];
            snprintf(plan, sizeof plan, "plan|%s", row);
            snprintf(nil, sizeof nil, "nil|%s", row);
            int64_t v = dfa_figures_get(cur, row), p = dfa_figures_get(prev, row);
            if (v == 0 && p == 0 && !dfa_figures_has(cur, plan))
                continue;
            json_object_set_new(rows, row,
                                row_object(v, p, dfa_figures_has(cur, plan), dfa_figures_get(cur, plan),
                                           dfa_figures_get(cur, nil) > 0,
                                           national_rows ? json_object_get(national_rows, row) : NULL));
        }
    }
    /* a target with nothing reported yet still shows, at 0% achieved; a "không có" declaration shows at 0 */
    for (size_t i = 0; i < dfa_figures_count(cur); i++) {
        const char *row = dfa_figures_at(cur, i)->row;
        bool plan = strncmp(row, "plan|", 5) == 0, nil = strncmp(row, "nil|", 4) == 0 && dfa_figures_at(cur, i)->value > 0;
        const char *bare = plan ? row + 5 : row + 4;
        if ((!plan && !nil) || json_object_get(rows, bare))
            continue;
        char plan_row[300], nil_row[300];
        snprintf(plan_row, sizeof plan_row, "plan|%s", bare);
        snprintf(nil_row, sizeof nil_row, "nil|%s", bare);
        json_object_set_new(rows, bare, row_object(0, dfa_figures_get(prev, bare), dfa_figures_has(cur, plan_row),
                                                   dfa_figures_get(cur, plan_row), dfa_figures_get(cur, nil_row) > 0,
                                                   national_rows ? json_object_get(national_rows, bare) : NULL));
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

dfa_status dfa_rollup_build(dfa_redis *r, const dfa_core *core, const dfa_rollup_spec *spec, json_t **out, dfa_error *err)
{
    dfa_date cutoff = dfa_date_cmp(spec->as_of, spec->last) < 0 ? spec->as_of : spec->last;
    if (dfa_date_cmp(cutoff, spec->first) < 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "as-of date is before the period starts");
    char prev_id[64] = "";
    if (spec->has_id)
        shift_id(spec->label, prev_id, sizeof prev_id);
    dfa_read_spec cur_spec = {spec->first, cutoff, spec->has_id ? spec->label : NULL, NULL};
    dfa_read_spec prev_spec = {year_before(spec->first), year_before(cutoff), spec->has_id ? prev_id : NULL, NULL};
    const dfa_provinces *ps = dfa_core_provinces(core);
    size_t n_current = dfa_provinces_current_count(ps);
    dfa_figures *cur = NULL, *prev = NULL, *cur_each[MAX_SCOPES] = {0}, *prev_each[MAX_SCOPES] = {0};
    dfa_read_info info;
    dfa_status st = read_pair(r, core, NULL, &cur_spec, &prev_spec, &cur, &prev, cur_each, prev_each, &info, err);

    json_t *doc = NULL;
    if (st == DFA_OK) {
        char a[16], b[16], c[16], pa[16], pb[16];
        iso_date(spec->first, a), iso_date(spec->last, b), iso_date(cutoff, c);
        iso_date(prev_spec.first, pa), iso_date(prev_spec.last, pb);
        json_t *national = json_object(), *missing = json_array();
        json_t *nat_rows = rows_of(cur, prev, NULL);
        for (size_t i = 0; i < n_current; i++)
            if (!cur_each[i] || !reported(cur_each[i]))
                json_array_append_new(missing, json_string(dfa_provinces_current(ps, i)->code));
        json_object_set_new(national, "coverage", json_pack("{s:I,s:I,s:o}", "reported", (json_int_t)info.provinces_reported,
                                                            "of", (json_int_t)n_current, "missing", missing));
        json_object_set_new(national, "rows", nat_rows);
        doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:o}", "schema", "dfa.rollup/1", "period", spec->label,
                        "first", a, "last", b, "as_of", c, "compared_with", "first", pa, "last", pb, "units",
                        spec->historic ? "historic" : "current", "national", national);
        json_t *scopes = json_array();
        if (!spec->historic) {
            for (size_t i = 0; i < n_current; i++) {
                const dfa_unit *u = dfa_provinces_current(ps, i);
                json_array_append_new(scopes, json_pack("{s:s,s:s,s:b,s:o}", "unit", u->unit_id, "name", u->name, "reported",
                                                        reported(cur_each[i]), "rows", rows_of(cur_each[i], prev_each[i], nat_rows)));
            }
        } else {
            const dfa_unit *units[MAX_SCOPES];
            size_t n = historic_units(core, spec, units);
            for (size_t i = 0; st == DFA_OK && i < n; i++) {
                dfa_read_spec uc = cur_spec, up = prev_spec;
                uc.unit_id = up.unit_id = units[i]->unit_id;
                dfa_figures *fc = NULL, *fp = NULL;
                dfa_read_info ui;
                st = read_pair(r, core, units[i]->current, &uc, &up, &fc, &fp, NULL, NULL, &ui, err);
                if (st == DFA_OK)
                    json_array_append_new(scopes, json_pack("{s:s,s:s,s:b,s:o}", "unit", units[i]->unit_id, "name",
                                                            units[i]->name, "reported", reported(fc), "rows",
                                                            rows_of(fc, fp, nat_rows)));
                dfa_figures_free(fc);
                dfa_figures_free(fp);
            }
        }
        json_object_set_new(doc, "provinces", scopes);
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
    char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1) | JSON_REAL_PRECISION(6));
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

static void csv_num(text *t, const json_t *v)
{
    if (json_is_integer(v))
        addf(t, ",%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        addf(t, ",%.1f", json_real_value(v));
    else
        addf(t, ",");
}

static void csv_rows(text *t, const char *scope, const char *name, const json_t *rows)
{
    const char *row;
    json_t *o;
    /* rows in sorted order, as in the JSON */
    size_t n = json_object_size(rows), k = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    json_object_foreach((json_t *)rows, row, o) keys[k++] = row;
    for (size_t i = 0; i + 1 < k; i++)
        for (size_t j = i + 1; j < k; j++)
            if (strcmp(keys[j], keys[i]) < 0) {
                const char *x = keys[i];
                keys[i] = keys[j], keys[j] = x;
            }
    for (size_t i = 0; i < k; i++) {
        o = json_object_get(rows, keys[i]);
        addf(t, "%s,\"%s\",%s", scope, name, keys[i]);
        static const char *const cols[] = {"value", "previous", "diff", "pct", "plan", "plan_pct", "share_pct"};
        for (size_t c = 0; c < 7; c++)
            csv_num(t, json_object_get(o, cols[c]));
        addf(t, ",%s\n", json_is_true(json_object_get(o, "declared_none")) ? "yes" : "");
    }
    free(keys);
}

char *dfa_rollup_csv(const json_t *doc)
{
    text t = {0};
    addf(&t, "scope,name,row,value,previous,diff,pct,plan,plan_pct,share_pct,declared_none\n");
    csv_rows(&t, "national", "Toàn quốc", json_object_get(json_object_get(doc, "national"), "rows"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "provinces"), i, p)
        csv_rows(&t, json_string_value(json_object_get(p, "unit")), json_string_value(json_object_get(p, "name")),
                 json_object_get(p, "rows"));
    return finish_text(&t);
}

/* ---- Vietnamese Markdown ---- */

static void vi_date(const char *iso, char out[16]) { snprintf(out, 16, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso); }

static void vi_period(const json_t *doc, char *out, size_t cap)
{
    static const char *const roman[] = {"", "I", "II", "III", "IV"};
    const char *id = json_string_value(json_object_get(doc, "period"));
    int y = 0, n = 0, y2 = 0;
    char a[16], b[16];
    vi_date(json_string_value(json_object_get(doc, "first")), a);
    vi_date(json_string_value(json_object_get(doc, "last")), b);
    if (sscanf(id, "M%d-%d", &y, &n) == 2) snprintf(out, cap, "tháng %d năm %d", n, y);
    else if (sscanf(id, "Q%d-%d", &y, &n) == 2 && n >= 1 && n <= 4) snprintf(out, cap, "quý %s năm %d", roman[n], y);
    else if (sscanf(id, "H%d-%d", &y, &n) == 2) snprintf(out, cap, "6 tháng %s năm %d", n == 1 ? "đầu" : "cuối", y);
    else if (sscanf(id, "N%d", &y) == 1) snprintf(out, cap, "9 tháng năm %d", y);
    else if (sscanf(id, "R%d-%d", &y, &y2) == 2) snprintf(out, cap, "giai đoạn %d–%d", y, y2);
    else if (sscanf(id, "Y%d", &y) == 1) snprintf(out, cap, "năm %d", y);
    else if (sscanf(id, "AY%d", &y) == 1) snprintf(out, cap, "năm %d (kỳ báo cáo %s–%s)", y, a, b);
    else if (sscanf(id, "A%d-%d", &y, &n) == 2) snprintf(out, cap, "tháng %d năm %d (kỳ báo cáo %s–%s)", n, y, a, b);
    else snprintf(out, cap, "từ %s đến %s", a, b);
}

/* 1234567 -> "1.234.567"; money in its major unit with a decimal comma. */
static void vi_number(int64_t v, char *out, size_t cap)
{
    char en[64];
    dfa_iso_format_money(v, "VND", en, sizeof en); /* grouping without decimals */
    size_t n = 0;
    for (const char *p = en; *p && *p != ' ' && n + 1 < cap; p++)
        out[n++] = *p == ',' ? '.' : *p;
    out[n] = '\0';
}

static void vi_money(int64_t v, const char *cur, char *out, size_t cap)
{
    char en[64];
    dfa_iso_format_money(v, cur, en, sizeof en);
    size_t n = 0;
    for (const char *p = en; *p && n + 1 < cap; p++)
        out[n++] = *p == ',' ? '.' : (*p == '.' ? ',' : *p);
    out[n] = '\0';
}

static void vi_pct(const json_t *v, char *out, size_t cap)
{
    if (!json_is_number(v)) {
        snprintf(out, cap, "–");
        return;
    }
    snprintf(out, cap, "%.1f%%", json_number_value(v));
    for (char *p = out; *p; p++)
        if (*p == '.')
            *p = ',';
}

static void summary_line(text *t, const dfa_core *core, const dfa_metric *m, const json_t *rows)
{
    const json_t *o = json_object_get(rows, m->name);
    if (!m->money) {
        if (!o)
            return;
        char v[32], d[32], pct[32];
        int64_t diff = json_integer_value(json_object_get(o, "diff"));
        vi_number(json_integer_value(json_object_get(o, "value")), v, sizeof v);
        vi_number(diff < 0 ? -diff : diff, d, sizeof d);
        addf(t, "- %s: %s %s", m->label_vi, v, m->unit_vi);
        const dfa_metric *w = m->with ? dfa_catalog_metric(dfa_core_catalog(core), m->with) : NULL;
        const json_t *wo = w ? json_object_get(rows, w->name) : NULL;
        if (wo) {
            char wv[32];
            vi_number(json_integer_value(json_object_get(wo, "value")), wv, sizeof wv);
            addf(t, " (%s %s)", wv, w->unit_vi);
        }
        if (json_integer_value(json_object_get(o, "previous")) == 0)
            addf(t, ", cùng kỳ không phát sinh");
        else if (diff == 0)
            addf(t, ", bằng cùng kỳ");
        else {
            vi_pct(json_object_get(o, "pct"), pct, sizeof pct);
            addf(t, ", %s %s %s (%s) so với cùng kỳ", diff > 0 ? "tăng" : "giảm", d, m->unit_vi, pct);
        }
        if (json_object_get(o, "plan")) {
            vi_pct(json_object_get(o, "plan_pct"), pct, sizeof pct);
            addf(t, ", đạt %s kế hoạch", pct);
        }
        addf(t, ".\n");
        return;
    }
    /* money: one amount per currency, never converted */
    const char *row;
    json_t *x;
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s|cur=", m->name);
    bool first = true;
    json_object_foreach((json_t *)rows, row, x) {
        if (strncmp(row, prefix, strlen(prefix)) != 0 || strchr(row + strlen(prefix), '|'))
            continue;
        char v[64], p[64];
        vi_money(json_integer_value(json_object_get(x, "value")), row + strlen(prefix), v, sizeof v);
        vi_money(json_integer_value(json_object_get(x, "previous")), row + strlen(prefix), p, sizeof p);
        if (first)
            addf(t, "- %s: %s (cùng kỳ %s)", m->label_vi, v, p);
        else
            addf(t, "; %s (cùng kỳ %s)", v, p);
        first = false;
    }
    if (!first)
        addf(t, ".\n");
}

char *dfa_rollup_markdown(const json_t *doc, const dfa_core *core)
{
    text t = {0};
    char period[128], as_of[16], pa[16], pb[16];
    vi_period(doc, period, sizeof period);
    vi_date(json_string_value(json_object_get(doc, "as_of")), as_of);
    const json_t *cmp = json_object_get(doc, "compared_with");
    vi_date(json_string_value(json_object_get(cmp, "first")), pa);
    vi_date(json_string_value(json_object_get(cmp, "last")), pb);
    const json_t *nat = json_object_get(doc, "national"), *rows = json_object_get(nat, "rows"),
                 *cov = json_object_get(nat, "coverage");
    addf(&t, "# Tổng hợp công tác đối ngoại %s\n\n", period);
    addf(&t, "Số liệu toàn quốc tính đến ngày %s, so sánh với cùng kỳ (%s–%s). "
             "Số tỉnh, thành phố có báo cáo: %lld/%lld.\n\n",
         as_of, pa, pb, (long long)json_integer_value(json_object_get(cov, "reported")),
         (long long)json_integer_value(json_object_get(cov, "of")));
    addf(&t, "## Tóm tắt\n\n");
    const dfa_catalog *cat = dfa_core_catalog(core);
    for (size_t i = 0; i < dfa_catalog_metric_count(cat); i++) {
        const dfa_metric *m = dfa_catalog_metric_at(cat, i);
        bool is_companion = false;
        for (size_t k = 0; k < dfa_catalog_metric_count(cat); k++)
            is_companion |= dfa_catalog_metric_at(cat, k)->with && strcmp(dfa_catalog_metric_at(cat, k)->with, m->name) == 0;
        if (!is_companion)
            summary_line(&t, core, m, rows);
    }
    addf(&t, "\n## Bảng số liệu\n\n| Chỉ tiêu | Kỳ này | Cùng kỳ | Tăng/giảm | Kế hoạch |\n|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < dfa_catalog_metric_count(cat); i++) {
        const dfa_metric *m = dfa_catalog_metric_at(cat, i);
        const json_t *o = json_object_get(rows, m->name);
        if (m->money || !o)
            continue;
        char v[32], p[32], d[32], pct[32], plan[32] = "–";
        vi_number(json_integer_value(json_object_get(o, "value")), v, sizeof v);
        vi_number(json_integer_value(json_object_get(o, "previous")), p, sizeof p);
        int64_t diff = json_integer_value(json_object_get(o, "diff"));
        vi_number(diff < 0 ? -diff : diff, d, sizeof d);
        vi_pct(json_object_get(o, "pct"), pct, sizeof pct);
        if (json_object_get(o, "plan"))
            vi_pct(json_object_get(o, "plan_pct"), plan, sizeof plan);
        addf(&t, "| %s (%s) | %s | %s | %s%s (%s) | %s |\n", m->label_vi, m->unit_vi, v, p, diff < 0 ? "−" : "+", d, pct, plan);
    }
    return finish_text(&t);
}
