/* dfa_gateway_catalog: what the department's page (gateway/www/) needs to
 * build its form and show the officer what they may send: the catalog's
 * reporter roles, metrics and event types as the core loaded them (GET /v1/catalog),
 * and a token's scope (GET /v1/whoami). docs/gateway.md. */
#ifndef DFA_GATEWAY_CATALOG_H
#define DFA_GATEWAY_CATALOG_H

#include <jansson.h>
#include <stddef.h>

#include "dfa_error.h"
#include "dfa_province.h"
#include "dfa_token.h"

typedef struct dfa_gateway_catalog dfa_gateway_catalog;

/* Reads the catalog file at path (the one the core loaded and checked). On
 * success *out belongs to the caller (dfa_gateway_catalog_free). */
dfa_status dfa_gateway_catalog_load(const char *path, dfa_gateway_catalog **out, dfa_error *err);
void dfa_gateway_catalog_free(dfa_gateway_catalog *c);

/* The body of GET /v1/catalog, {"reporters":[...],"metrics":{...},"types":{...},
 * "currencies":[{"code":"VND","exponent":0},...],"countries":["AD",...]}, compact
 * JSON of *len bytes: borrowed from c. */
const char *dfa_gateway_catalog_text(const dfa_gateway_catalog *c, size_t *len);

/* The body of GET /v1/whoami for tok: {"name", "provinces": [{"code","name"}]
 * (today's units it may publish for), "reporters": [...], "rights": [...]}.
 * A new reference, the caller's; NULL when out of memory. */
json_t *dfa_gateway_whoami(const dfa_gateway_catalog *c, const dfa_provinces *p, const dfa_token *tok);

#endif
