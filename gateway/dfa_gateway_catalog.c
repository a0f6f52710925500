/* dfa_gateway_catalog: the catalog and a token's scope for the department's page. */
#include "dfa_gateway_catalog.h"

#include <stdlib.h>
#include <string.h>

#include "dfa_iso.h"

struct dfa_gateway_catalog {
    json_t *reporters; /* the catalog's array of role names */
    char *text;        /* GET /v1/catalog's body */
    size_t len;
};

/* Every ISO 4217 code the core accepts, with the digits of its minor unit, so
 * the page turns "1.250,50 USD" into 125050 minor units by the core's table. */
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

/* Every ISO 3166-1 alpha-2 code the core accepts. */
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

dfa_status dfa_gateway_catalog_load(const char *path, dfa_gateway_catalog **out, dfa_error *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: line %d: %s", path, je.line, je.text);
    dfa_gateway_catalog *c = calloc(1, sizeof *c);
    json_t *page = json_pack("{s:O,s:O,s:O,s:o,s:o}", "reporters", json_object_get(doc, "reporters"), "metrics",
                             json_object_get(doc, "metrics"), "types", json_object_get(doc, "types"), "currencies",
                             currencies_json(), "countries", countries_json());
    if (c && page) {
        c->reporters = json_incref(json_object_get(page, "reporters"));
        c->text = json_dumps(page, JSON_COMPACT | JSON_ENSURE_ASCII);
    }
    json_decref(page);
    json_decref(doc);
    if (!c || !c->text) {
        dfa_gateway_catalog_free(c);
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: cannot serve the catalog (out of memory, or no reporters, metrics or types)",
                        path);
    }
    c->len = strlen(c->text);
    *out = c;
    return DFA_OK;
}

void dfa_gateway_catalog_free(dfa_gateway_catalog *c)
{
    if (!c)
        return;
    json_decref(c->reporters);
    free(c->text);
    free(c);
}

const char *dfa_gateway_catalog_text(const dfa_gateway_catalog *c, size_t *len)
{
    *len = c->len;
    return c->text;
}

json_t *dfa_gateway_whoami(const dfa_gateway_catalog *c, const dfa_provinces *p, const dfa_token *tok)
{
    json_t *provinces = json_array(), *reporters = json_array(), *rights = json_array();
    for (size_t i = 0; i < dfa_provinces_current_count(p); i++) {
        const dfa_unit *u = dfa_provinces_current(p, i);
        if (dfa_token_allows_province(tok, u->code))
            json_array_append_new(provinces, json_pack("{s:s,s:s}", "code", u->code, "name", u->name));
    }
    size_t i;
    json_t *role;
    json_array_foreach(c->reporters, i, role)
    {
        if (dfa_token_allows_reporter(tok, json_string_value(role)))
            json_array_append(reporters, role);
    }
    if (dfa_token_has_right(tok, DFA_RIGHT_PUBLISH))
        json_array_append_new(rights, json_string("publish"));
    if (dfa_token_has_right(tok, DFA_RIGHT_READ))
        json_array_append_new(rights, json_string("read"));
    return json_pack("{s:s,s:o,s:o,s:o}", "name", dfa_token_name(tok), "provinces", provinces, "reporters", reporters,
                     "rights", rights);
}
