/* dfa_page: GET /v1/whoami and GET /v1/catalog for the department's page. */
#include "dfa_page.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_iso.h"
#include "dfa_log.h"

struct dfa_page {
    const dfa_config *cfg;
    const dfa_core *core;
    dfa_ratelimit *rate;
    dfa_page_tokens_fn tokens;
    void *tokens_ctx;
    json_t *reporters; /* the catalog's reporter roles, in its order */
    char *catalog;     /* the answer of GET /v1/catalog, the same for everyone */
    size_t catalog_len;
};

/* Every province of today, {"code","name"}, in the table's order. */
static json_t *provinces_json(const dfa_provinces *p, const dfa_token *only)
{
    json_t *a = json_array();
    for (size_t i = 0; i < dfa_provinces_current_count(p); i++) {
        const dfa_unit *u = dfa_provinces_current(p, i);
        if (!only || dfa_token_allows_province(only, u->code))
            json_array_append_new(a, json_pack("{s:s,s:s}", "code", u->code, "name", u->name));
    }
    return a;
}

/* Every ISO 4217 code the core accepts, with the digits of its minor unit. */
static json_t *currencies_json(void)
{
    json_t *a = json_array();
    char code[4] = {0};
    for (code[0] = 'A'; code[0] <= 'Z'; code[0]++)
        for (code[1] = 'A'; code[1] <= 'Z'; code[1]++)
            for (code[2] = 'A'; code[2] <= 'Z'; code[2]++)
                if (dfa_iso_is_currency(code))
                    json_array_append_new(a, json_pack("{s:s,s:i}", "code", code, "exponent",
                                                       dfa_iso_currency_exponent(code)));
    return a;
}

static json_t *countries_json(void)
{
    json_t *a = json_array();
    char code[3] = {0};
    for (code[0] = 'A'; code[0] <= 'Z'; code[0]++)
        for (code[1] = 'A'; code[1] <= 'Z'; code[1]++)
            if (dfa_iso_is_country(code))
                json_array_append_new(a, json_string(code));
    return a;
}

dfa_status dfa_page_new(const dfa_config *cfg, const dfa_core *core, dfa_ratelimit *rate, dfa_page_tokens_fn tokens,
                        void *tokens_ctx, dfa_page **out, dfa_error *err)
{
    const char *path = dfa_config_str(cfg, "catalog");
    json_error_t jerr;
    json_t *catalog = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!catalog)
        return dfa_fail(err, DFA_ERR_IO, "%s: cannot be read again for GET /v1/catalog: %s", path, jerr.text);
    dfa_page *page = calloc(1, sizeof *page);
    if (!page) {
        json_decref(catalog);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    *page = (dfa_page){.cfg = cfg, .core = core, .rate = rate, .tokens = tokens, .tokens_ctx = tokens_ctx};
    /* the core has checked this very file at startup: reporters is an array of strings */
    page->reporters = json_incref(json_object_get(catalog, "reporters"));
    json_t *doc = json_pack("{s:o,s:o,s:o,s:o}", "catalog", catalog, "provinces",
                            provinces_json(dfa_core_provinces(core), NULL), "currencies", currencies_json(),
                            "countries", countries_json());
    page->catalog = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!page->catalog) {
        dfa_page_free(page);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    page->catalog_len = strlen(page->catalog);
    *out = page;
    return DFA_OK;
}

void dfa_page_free(dfa_page *page)
{
    if (!page)
        return;
    json_decref(page->reporters);
    free(page->catalog);
    free(page);
}

/* The token of the request, with a reference to its table in *table; or NULL
 * once the request is answered (401, 429), as POST /v1/events answers them. */
static const dfa_token *knock(dfa_page *page, dfa_http_request *req, dfa_tokens **table)
{
    const char *bearer = dfa_http_bearer(req);
    dfa_http_add_header(req, "Cache-Control", "no-store");
    if (!bearer) {
        dfa_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"dfa-gateway\"");
        dfa_http_error(req, 401, "unauthorized", "an Authorization: Bearer <token> header is required");
        return NULL;
    }
    *table = page->tokens(page->tokens_ctx);
    const dfa_token *tok = dfa_tokens_verify(*table, bearer);
    if (!tok) {
        dfa_tokens_unref(*table);
        dfa_log(DFA_LOG_INFO, "token_refused", "client=%s route=%s", dfa_http_client_ip(req), dfa_http_path(req));
        dfa_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"dfa-gateway\"");
        dfa_http_error(req, 401, "unauthorized", "unknown or revoked token");
        return NULL;
    }
    unsigned wait = dfa_ratelimit_take(page->rate, dfa_token_name(tok));
    if (wait) {
        char s[16];
        snprintf(s, sizeof s, "%u", wait);
        dfa_http_add_header(req, "Retry-After", s);
        dfa_http_error(req, 429, "rate_limited", "token %s: more than %lld requests a second; retry in %u s",
                       dfa_token_name(tok), (long long)dfa_config_int(page->cfg, "gateway.rate_per_s"), wait);
        dfa_tokens_unref(*table);
        return NULL;
    }
    return tok;
}

static json_t *reporters_json(const dfa_page *page, const dfa_token *tok)
{
    json_t *a = json_array(), *role;
    size_t i;
    json_array_foreach(page->reporters, i, role) {
        if (dfa_token_allows_reporter(tok, json_string_value(role)))
            json_array_append(a, role);
    }
    return a;
}

static void handle_whoami(dfa_http_request *req, void *ctx)
{
    dfa_page *page = ctx;
    dfa_tokens *table = NULL;
    const dfa_token *tok = knock(page, req, &table);
    if (!tok)
        return;
    json_t *rights = json_array();
    if (dfa_token_has_right(tok, DFA_RIGHT_PUBLISH))
        json_array_append_new(rights, json_string("publish"));
    if (dfa_token_has_right(tok, DFA_RIGHT_READ))
        json_array_append_new(rights, json_string("read"));
    json_t *doc = json_pack("{s:s,s:o,s:o,s:o,s:{s:I,s:I}}", "token", dfa_token_name(tok), "rights", rights,
                            "provinces", provinces_json(dfa_core_provinces(page->core), tok), "reporters",
                            reporters_json(page, tok), "limits", "max_body_bytes",
                            (json_int_t)dfa_config_int(page->cfg, "gateway.max_body_bytes"), "max_events",
                            (json_int_t)dfa_config_int(page->cfg, "gateway.max_events"));
    dfa_tokens_unref(table);
    if (doc)
        dfa_http_respond_json(req, 200, doc);
    else
        dfa_http_error(req, 500, "internal", "out of memory");
}

static void handle_catalog(dfa_http_request *req, void *ctx)
{
    dfa_page *page = ctx;
    dfa_tokens *table = NULL;
    if (!knock(page, req, &table))
        return;
    dfa_tokens_unref(table);
    dfa_http_respond(req, 200, "application/json", page->catalog, page->catalog_len);
}

dfa_status dfa_page_routes(dfa_page *page, dfa_http_server *srv, dfa_error *err)
{
    dfa_status st =
        dfa_http_route(srv, "GET", "/v1/whoami", &(dfa_http_route_spec){.handle = handle_whoami, .ctx = page}, err);
    if (st == DFA_OK)
        st = dfa_http_route(srv, "GET", "/v1/catalog", &(dfa_http_route_spec){.handle = handle_catalog, .ctx = page},
                            err);
    return st;
}
