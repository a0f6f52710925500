#include "dfa_view_api.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dfa_file.h"
#include "dfa_http_query.h"
#include "dfa_log.h"
#include "dfa_report.h"
#include "dfa_text.h"

#define MAX_SNAPSHOT_SERIES 2000

static bool is_national(const dfa_token *tok) { return strcmp(dfa_token_provinces_text(tok), "*") == 0; }

const dfa_token *dfa_view_reader(dfa_view_app *app, dfa_http_request *req)
{
    const char *bearer = dfa_http_bearer(req);
    if (!bearer) {
        dfa_http_add_header(req, "WWW-Authenticate", "Bearer");
        dfa_http_error(req, 401, "unauthorized", "an Authorization: Bearer <token> header is required");
        return NULL;
    }
    const dfa_token *tok = dfa_tokens_verify(app->tokens, bearer);
    if (!tok) {
        dfa_log(DFA_LOG_INFO, "token_refused", "client=%s", dfa_http_client_ip(req));
        dfa_http_add_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        dfa_http_error(req, 401, "unauthorized", "unknown or revoked token");
        return NULL;
    }
    if (!dfa_token_has_right(tok, DFA_RIGHT_READ)) {
        dfa_http_error(req, 403, "forbidden", "token %s has no read right", dfa_token_name(tok));
        return NULL;
    }
    return tok;
}

/* The only province of a department's token, or NULL. */
static const char *sole_province(const dfa_token *tok)
{
    const char *p = dfa_token_provinces_text(tok);
    return strlen(p) == 2 ? p : NULL;
}

/* ---- the query string ---- */

typedef struct {
    dfa_view_ask *ask;
    const char *period, *from, *to, *as_of, *province, *unit, *by, *breakdowns, *format;
    const char *bad, *bad_why;
    dfa_http_request *req;
} args;

static bool take_arg(void *ctx, const char *name, const char *value)
{
    args *a = ctx;
    const char **slot = strcmp(name, "period") == 0     ? &a->period
                        : strcmp(name, "from") == 0       ? &a->from
                        : strcmp(name, "to") == 0         ? &a->to
                        : strcmp(name, "as_of") == 0      ? &a->as_of
                        : strcmp(name, "province") == 0   ? &a->province
                        : strcmp(name, "unit") == 0       ? &a->unit
                        : strcmp(name, "by") == 0         ? &a->by
                        : strcmp(name, "breakdowns") == 0 ? &a->breakdowns
                        : strcmp(name, "format") == 0     ? &a->format
                                                          : NULL;
    if (strcmp(name, "metric") == 0) {
        dfa_view_ask *k = a->ask;
        for (const char *p = value ? value : ""; *p;) { /* metric=a,b as well as metric=a&metric=b */
            size_t n = strcspn(p, ",");
            if (k->filter.n_metrics == 64 || n >= sizeof k->metric_names[0]) {
                a->bad = "metric", a->bad_why = "at most 64 metrics, each a catalog name";
                return false;
            }
            snprintf(k->metric_names[k->filter.n_metrics], sizeof k->metric_names[0], "%.*s", (int)n, p);
            k->metrics[k->filter.n_metrics] = k->metric_names[k->filter.n_metrics];
            k->filter.n_metrics++;
            p += n + (p[n] == ',');
        }
        return true;
    }
    if (!slot) {
        a->bad = name, a->bad_why = "unknown parameter";
        return false;
    }
    if (*slot) {
        a->bad = name, a->bad_why = "given twice";
        return false;
    }
    *slot = value ? value : "";
    return true;
}

/* 400 with fmt, which takes two strings: a (what the client sent, shown escaped) and b. */
static bool bad_request(dfa_http_request *req, const char *code, const char *fmt, const char *a, const char *b)
{
    dfa_http_error(req, 400, code, fmt, DFA_TEXT_SHOWN(a, 100), b ? b : "");
    return false;
}

static bool forbidden(dfa_http_request *req, const dfa_token *tok, const char *what)
{
    dfa_http_error(req, 403, "forbidden", "token %s reads province %s only, not %s", dfa_token_name(tok),
                   dfa_token_provinces_text(tok), what);
    return false;
}

/* The period of the ask: an id, or from and to, and the as-of date. */
static bool parse_period(dfa_http_request *req, const args *a, dfa_view_ask *k)
{
    dfa_error err = {0};
    dfa_rollup_spec *s = &k->spec;
    if (a->period && (a->from || a->to))
        return bad_request(req, "bad_period", "give period or from and to, not both (period \"%s\")%s", a->period, NULL);
    if (a->period) {
        if (dfa_period_parse(a->period, &s->first, &s->last, &err) != DFA_OK)
            return bad_request(req, "bad_period", "%s%s", "", err.msg); /* the message names the period */
        snprintf(k->label, sizeof k->label, "%s", a->period);
        s->has_id = true;
    } else if (a->from || a->to) {
        if (!a->from || !a->to || !dfa_date_parse(a->from, &s->first) || !dfa_date_parse(a->to, &s->last) ||
            dfa_date_cmp(s->first, s->last) > 0)
            return bad_request(req, "bad_period", "from \"%s\" and to: two dates YYYY-MM-DD, the first not after the second%s",
                               a->from ? a->from : "", NULL);
        if (dfa_date_to_days(s->last) - dfa_date_to_days(s->first) > 366 * 10)
            return bad_request(req, "bad_period", "from \"%s\": a range of at most ten years%s", a->from, NULL);
        snprintf(k->label, sizeof k->label, "%s..%s", a->from, a->to);
    } else {
        return bad_request(req, "bad_period", "give period=ID (M2025-07, Q2025-3, H2025-1, N2025, Y2025, A2025-07, AY2025) or from and to%s%s", "", NULL);
    }
    s->label = k->label;
    s->as_of = s->last;
    if (a->as_of && (!dfa_date_parse(a->as_of, &s->as_of) || dfa_date_cmp(s->as_of, s->first) < 0))
        return bad_request(req, "bad_as_of", "as_of \"%s\": a date YYYY-MM-DD, not before the period starts%s", a->as_of, NULL);
    return true;
}

bool dfa_view_parse_ask(dfa_view_app *app, dfa_http_request *req, const dfa_token *tok, dfa_view_ask *k)
{
    memset(k, 0, sizeof *k);
    args a = {.ask = k, .req = req};
    dfa_http_query_each(req, take_arg, &a);
    if (a.bad)
        return bad_request(req, "bad_parameter", "parameter \"%s\": %s", a.bad, a.bad_why);
    if (!parse_period(req, &a, k))
        return false;
    const dfa_catalog *cat = dfa_core_catalog(app->core);
    for (size_t i = 0; i < k->filter.n_metrics; i++)
        if (!dfa_catalog_metric(cat, k->metrics[i]))
            return bad_request(req, "bad_metric", "metric \"%s\": not in the catalog (GET /v1/catalog)%s", k->metrics[i], NULL);
    k->filter.metrics = k->metrics;
    if (a.by && strcmp(a.by, "province") != 0)
        return bad_request(req, "bad_parameter", "by \"%s\": only by=province%s", a.by, NULL);
    k->filter.by_province = a.by != NULL;
    k->filter.breakdowns = a.breakdowns && strcmp(a.breakdowns, "0") != 0 && strcmp(a.breakdowns, "false") != 0;
    const dfa_provinces *ps = dfa_core_provinces(app->core);
    const dfa_unit *current = NULL;
    if (a.unit) {
        const dfa_unit *u = dfa_provinces_by_unit_id(ps, a.unit);
        if (!u)
            return bad_request(req, "bad_unit", "unit \"%s\": no such unit (ids are codes, with x for units that ended: 89x)%s", a.unit, NULL);
        if (a.province)
            return bad_request(req, "bad_parameter", "give province or unit, not both (unit \"%s\")%s", a.unit, NULL);
        k->spec.historic = !u->current || strcmp(u->current->unit_id, u->unit_id) != 0;
        snprintf(k->scope, sizeof k->scope, "%s", u->unit_id);
        current = u->current ? u->current : u;
    } else if (a.province) {
        const dfa_unit *orig;
        dfa_error err = {0};
        if (dfa_provinces_resolve(ps, a.province, k->spec.last, &current, &orig, &err) != DFA_OK)
            return bad_request(req, "bad_province", "province \"%s\": %s", a.province, err.msg);
        snprintf(k->scope, sizeof k->scope, "%s", current->unit_id);
    } else if (!is_national(tok) && sole_province(tok)) {
        snprintf(k->scope, sizeof k->scope, "%s", sole_province(tok)); /* a department's own province */
        current = NULL;
        if (!dfa_token_allows_province(tok, k->scope))
            return forbidden(req, tok, "the nation");
    } else if (!is_national(tok)) {
        return forbidden(req, tok, "the nation");
    }
    if (current && !dfa_token_allows_province(tok, current->code))
        return forbidden(req, tok, current->code);
    if (k->filter.by_province && !is_national(tok))
        return forbidden(req, tok, "the table by province");
    if (k->scope[0] && k->filter.by_province)
        return bad_request(req, "bad_parameter", "by=province is for the nation, not with province or unit \"%s\"%s", k->scope, NULL);
    k->filter.scope = k->scope[0] ? k->scope : NULL;
    const char *accept = dfa_http_header(req, "Accept");
    k->csv = a.format ? strcmp(a.format, "csv") == 0 : accept && strcasestr(accept, "text/csv") != NULL;
    if (a.format && strcmp(a.format, "csv") != 0 && strcmp(a.format, "json") != 0)
        return bad_request(req, "bad_parameter", "format \"%s\": json or csv%s", a.format, NULL);
    return true;
}

void dfa_view_variant(const dfa_view_ask *k, const char *kind, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s|%s|%d|%d|%d", kind, k->scope, k->filter.by_province, k->filter.breakdowns,
                                k->csv);
    for (size_t i = 0; i < k->filter.n_metrics && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "|%s", k->metrics[i]);
}

/* ---- answers ---- */

json_t *dfa_view_totals(dfa_view_app *app, const dfa_view_result *r, const dfa_view_ask *k)
{
    json_t *doc = dfa_totals_build(dfa_view_result_rollup(r), app->core, &k->filter);
    if (!doc)
        return NULL;
    dfa_date today = dfa_date_today_local();
    json_object_set_new(doc, "complete", json_boolean(dfa_date_cmp(today, k->spec.last) > 0));
    json_object_set_new(doc, "read_at", json_string(dfa_view_result_read_at(r)));
    json_object_set(doc, "offsets", (json_t *)dfa_view_result_offsets(r));
    json_object_set_new(doc, "change_id", json_string(dfa_view_result_change_id(r)));
    return doc;
}

typedef struct {
    dfa_view_app *app;
    const dfa_view_ask *ask;
} render_ctx;

/* doc as one compact JSON line (doc's reference is taken); *len its length. */
static char *dumps_line(json_t *doc, size_t *len)
{
    char *s = doc ? dfa_json_line(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(doc);
    if (s)
        *len = strlen(s);
    return s;
}

static char *render_totals(const dfa_view_result *r, void *ctx, size_t *len)
{
    render_ctx *c = ctx;
    if (c->ask->csv) {
        json_t *sel = dfa_totals_select(dfa_view_result_rollup(r), &c->ask->filter);
        char *s = sel ? dfa_rollup_csv(sel) : NULL;
        json_decref(sel);
        if (s)
            *len = strlen(s);
        return s;
    }
    return dumps_line(dfa_view_totals(c->app, r, c->ask), len);
}

/* The cache's answer to an error: Redis down or the cache full. */
static void answer_unavailable(dfa_http_request *req, const dfa_error *err)
{
    dfa_http_add_header(req, "Retry-After", "1");
    if (err->code == DFA_ERR_LIMIT)
        dfa_http_error(req, 503, "busy", "%s", err->msg);
    else
        dfa_http_error(req, 503, "store_unavailable", "the figures cannot be read now; retry shortly");
}

static void serve_totals(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    const dfa_token *tok = dfa_view_reader(app, req);
    dfa_view_ask k;
    if (!tok || !dfa_view_parse_ask(app, req, tok, &k))
        return;
    dfa_view_result *r = NULL;
    dfa_error err = {0};
    if (dfa_view_cache_get(app->cache, &k.spec, false, &r, &err) != DFA_OK) {
        answer_unavailable(req, &err);
        return;
    }
    char variant[1024];
    dfa_view_variant(&k, "totals", variant, sizeof variant);
    render_ctx rc = {app, &k};
    size_t len = 0;
    const char *text = dfa_view_result_render(r, variant, render_totals, &rc, &len);
    char *own = NULL;
    if (!text && (own = render_totals(r, &rc, &len)) == NULL) {
        dfa_view_result_release(r);
        dfa_http_error(req, 404, "not_found", "unit %s is not in this period's rollup", k.scope);
        return;
    }
    dfa_http_add_header(req, "Vary", "Accept, Authorization");
    dfa_http_respond(req, 200, k.csv ? "text/csv; charset=utf-8" : "application/json", own ? own : text, len);
    free(own);
    dfa_view_result_release(r);
}

/* GET /v1/rollups/<period>[?as_of=&format=json|csv|md|html]: the rollup document, its CSV, or the
 * Vietnamese report (Markdown, or the printable HTML page of dfa_report). A department's token gets its
 * province only. */
static void serve_rollup(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    const dfa_token *tok = dfa_view_reader(app, req);
    if (!tok)
        return;
    const char *id = dfa_http_path(req) + strlen("/v1/rollups/");
    dfa_view_ask k = {0};
    dfa_error err = {0};
    if (strlen(id) >= sizeof k.label || dfa_period_parse(id, &k.spec.first, &k.spec.last, &err) != DFA_OK) {
        if (!err.msg[0])
            dfa_fail(&err, DFA_ERR_SCHEMA, "period: \"%s\" is too long", DFA_TEXT_SHOWN(id, 40));
        bad_request(req, "bad_period", "%s%s", "", err.msg);
        return;
    }
    snprintf(k.label, sizeof k.label, "%s", id);
    k.spec.label = k.label;
    k.spec.has_id = true;
    k.spec.as_of = k.spec.last;
    const char *as_of = dfa_http_query(req, "as_of"), *format = dfa_http_query(req, "format");
    if (as_of && (!dfa_date_parse(as_of, &k.spec.as_of) || dfa_date_cmp(k.spec.as_of, k.spec.first) < 0)) {
        bad_request(req, "bad_as_of", "as_of \"%s\": a date YYYY-MM-DD, not before the period starts%s", as_of, NULL);
        return;
    }
    const char *accept = dfa_http_header(req, "Accept");
    if (!format)
        format = accept && strcasestr(accept, "text/csv")        ? "csv"
                 : accept && strcasestr(accept, "text/markdown") ? "md"
                 : accept && strcasestr(accept, "text/html")     ? "html"
                                                                 : "json";
    if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "md") != 0 &&
        strcmp(format, "html") != 0) {
        bad_request(req, "bad_parameter", "format \"%s\": json, csv, md or html%s", format, NULL);
        return;
    }
    if (!is_national(tok) && !sole_province(tok)) {
        forbidden(req, tok, "every province's rollup");
        return;
    }
    if (!is_national(tok))
        k.spec.unit_id = sole_province(tok); /* a department's: its own unit's report (dfa-snapshot --province) */
    dfa_view_result *r = NULL;
    if (dfa_view_cache_get(app->cache, &k.spec, false, &r, &err) != DFA_OK) {
        answer_unavailable(req, &err);
        return;
    }
    json_t *doc = json_incref((json_t *)dfa_view_result_rollup(r));
    char *text = !doc ? NULL
                 : strcmp(format, "csv") == 0 ? dfa_rollup_csv(doc)
                 : strcmp(format, "md") == 0  ? dfa_report_markdown(doc, app->core)
                 : strcmp(format, "html") == 0 ? dfa_report_html(doc, app->core)
                                              : dfa_rollup_json(doc);
    json_decref(doc);
    dfa_view_result_release(r);
    if (!text) {
        dfa_http_error(req, 500, "internal", "out of memory");
        return;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition, "inline; filename=\"dfa-%s.%s\"", k.label, format);
    dfa_http_add_header(req, "Content-Disposition", disposition);
    dfa_http_respond_owned(req, 200,
                           strcmp(format, "csv") == 0    ? "text/csv; charset=utf-8"
                           : strcmp(format, "md") == 0   ? "text/markdown; charset=utf-8"
                           : strcmp(format, "html") == 0 ? "text/html; charset=utf-8"
                                                         : "application/json",
                           text, strlen(text));
}

/* ---- snapshots: the nightly versions under snapshot.dir (dfa-snapshot --nightly) ---- */

static bool safe_name(const char *s) { return s[0] != '.' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == strlen(s); }

static json_t *versions_of(const char *dir, bool with_diffs)
{
    json_t *list = json_array();
    for (int v = 1;; v++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/v%d.json", dir, v);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        fclose(f);
        json_t *one = json_pack("{s:i}", "version", v);
        if (v > 1) {
            snprintf(path, sizeof path, "%s/diff-v%d.json", dir, v);
            json_t *d = json_load_file(path, 0, NULL);
            json_t *changes = json_object_get(d, "changes");
            json_object_set_new(one, "changed_rows", json_integer((json_int_t)json_array_size(changes)));
            if (with_diffs)
                json_object_set(one, "changes", changes ? changes : json_array());
            json_decref(d);
        }
        json_array_append_new(list, one);
    }
    return list;
}

static void serve_snapshots(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    const dfa_token *tok = dfa_view_reader(app, req);
    if (!tok)
        return;
    if (!is_national(tok)) {
        forbidden(req, tok, "the nightly snapshots of every province");
        return;
    }
    const char *only = dfa_http_query(req, "period");
    dfa_date a, b;
    dfa_error err = {0};
    if (only && dfa_period_parse(only, &a, &b, &err) != DFA_OK) {
        bad_request(req, "bad_period", "%s%s", "", err.msg);
        return;
    }
    const char *root = dfa_config_str(app->cfg, "snapshot.dir");
    json_t *series = json_array();
    DIR *d = opendir(root);
    struct dirent *p;
    size_t n = 0;
    while (d && (p = readdir(d)) && n < MAX_SNAPSHOT_SERIES) {
        if (!safe_name(p->d_name) || (only && strcmp(only, p->d_name) != 0))
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, p->d_name);
        DIR *d2 = opendir(dir);
        struct dirent *q;
        while (d2 && (q = readdir(d2)) && n < MAX_SNAPSHOT_SERIES) {
            if (!safe_name(q->d_name))
                continue;
            char sub[4200];
            snprintf(sub, sizeof sub, "%s/%s", dir, q->d_name);
            json_array_append_new(series, json_pack("{s:s,s:s,s:o}", "period", p->d_name, "as_of", q->d_name, "versions",
                                                    versions_of(sub, only != NULL)));
            n++;
        }
        if (d2)
            closedir(d2);
    }
    if (d)
        closedir(d);
    dfa_http_respond_json(req, 200, json_pack("{s:s,s:o,s:b}", "schema", "dfa.snapshots/1", "series", series,
                                              "truncated", n >= MAX_SNAPSHOT_SERIES));
}

/* ---- reference data ---- */

static json_t *iso_or_null(bool has, dfa_date d)
{
    char s[16];
    snprintf(s, sizeof s, "%04d-%02d-%02d", d.year, d.month, d.day);
    return has ? json_string(s) : json_null();
}

static void serve_provinces(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    if (!dfa_view_reader(app, req))
        return;
    const dfa_provinces *ps = dfa_core_provinces(app->core);
    json_t *units = json_array();
    for (size_t i = 0; i < dfa_provinces_count(ps); i++) {
        const dfa_unit *u = dfa_provinces_row(ps, i);
        json_array_append_new(units, json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:s,s:b}", "unit", u->unit_id, "code",
                                               u->code, "name", u->name, "name_ascii", u->name_ascii, "is_city",
                                               u->is_city, "valid_from", iso_or_null(u->has_from, u->valid_from),
                                               "valid_to", iso_or_null(u->has_to, u->valid_to), "successor",
                                               u->successor[0] ? json_string(u->successor) : json_null(), "current",
                                               u->current ? u->current->unit_id : u->unit_id, "in_force",
                                               u->current == u));
    }
    dfa_http_respond_json(req, 200, json_pack("{s:s,s:i,s:o}", "schema", "dfa.provinces/1", "current",
                                              (int)dfa_provinces_current_count(ps), "units", units));
}

static void serve_catalog(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    if (!dfa_view_reader(app, req))
        return;
    const dfa_catalog *cat = dfa_core_catalog(app->core);
    json_t *metrics = json_array(), *types = json_array();
    for (size_t i = 0; i < dfa_catalog_metric_count(cat); i++) {
        const dfa_metric *m = dfa_catalog_metric_at(cat, i);
        json_array_append_new(metrics, json_pack("{s:s,s:s,s:s,s:s,s:b,s:o}", "name", m->name, "kind",
                                                 dfa_metric_kind_name(m->kind), "label_vi", m->label_vi, "unit_vi",
                                                 m->unit_vi, "money", m->money, "with",
                                                 m->with ? json_string(m->with) : json_null()));
    }
    for (size_t i = 0; i < dfa_catalog_type_count(cat); i++) {
        const dfa_event_type *t = dfa_catalog_type_at(cat, i);
        json_array_append_new(types, json_pack("{s:s,s:s}", "name", t->name, "label_vi", t->label_vi));
    }
    dfa_http_respond_json(req, 200, json_pack("{s:s,s:o,s:o}", "schema", "dfa.catalog/1", "metrics", metrics, "types", types));
}

static void serve_freshness(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    const dfa_token *tok = dfa_view_reader(app, req);
    if (!tok)
        return;
    json_t *f = dfa_view_cache_freshness(app->cache);
    if (!is_national(tok)) { /* a department sees its own provinces' moments only */
        json_t *all = json_object_get(f, "last_applied_at"), *mine = json_object();
        const char *code;
        json_t *v;
        json_object_foreach(all, code, v)
            if (dfa_token_allows_province(tok, code))
                json_object_set(mine, code, v);
        json_object_set_new(f, "last_applied_at", mine);
    }
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_object_set_new(f, "now", json_string(now));
    dfa_http_respond_json(req, 200, f);
}

static void serve_me(dfa_http_request *req, void *ctx)
{
    dfa_view_app *app = ctx;
    const dfa_token *tok = dfa_view_reader(app, req);
    if (!tok)
        return;
    json_t *provinces = json_array();
    const dfa_provinces *ps = dfa_core_provinces(app->core);
    for (size_t i = 0; i < dfa_provinces_current_count(ps); i++)
        if (dfa_token_allows_province(tok, dfa_provinces_current(ps, i)->code))
            json_array_append_new(provinces, json_pack("{s:s,s:s}", "code", dfa_provinces_current(ps, i)->code, "name",
                                                       dfa_provinces_current(ps, i)->name));
    dfa_http_respond_json(req, 200, json_pack("{s:s,s:b,s:o}", "token", dfa_token_name(tok), "national",
                                              is_national(tok), "provinces", provinces));
}

dfa_status dfa_view_api_routes(dfa_view_app *app, dfa_http_server *srv, dfa_error *err)
{
    static const struct {
        const char *path;
        dfa_http_handle_fn fn;
    } routes[] = {{"/v1/totals", serve_totals},       {"/v1/rollups/*", serve_rollup},   {"/v1/snapshots", serve_snapshots},
                  {"/v1/provinces", serve_provinces}, {"/v1/catalog", serve_catalog},    {"/v1/freshness", serve_freshness},
                  {"/v1/me", serve_me}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        dfa_status st = dfa_http_route(srv, "GET", routes[i].path, &(dfa_http_route_spec){.handle = routes[i].fn, .ctx = app}, err);
        if (st != DFA_OK)
            return st;
    }
    return DFA_OK;
}
