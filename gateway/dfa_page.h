/* dfa_page: what the department's page (gateway/www/) asks the gateway
 * before it sends anything, both behind the same bearer token as
 * POST /v1/events (401 without one, 429 over the token's rate):
 *
 *   GET /v1/whoami   the token's name, rights, provinces (today's units, with
 *                    their names) and reporter roles, and the request limits,
 *                    so the page offers only what the token may send;
 *   GET /v1/catalog  the catalog as the gateway loaded it (config "catalog"),
 *                    today's provinces, and the ISO 4217 currencies with the
 *                    digits of their minor unit, so the form is built from the
 *                    same contract the core validates against and turns an
 *                    amount typed in units into integer minor units.
 *
 * Both answers are built once at startup (the catalog's file is read then,
 * as the core read it) except whoami's, which depends on the token. */
#ifndef DFA_PAGE_H
#define DFA_PAGE_H

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_error.h"
#include "dfa_http.h"
#include "dfa_ratelimit.h"
#include "dfa_token.h"

typedef struct dfa_page dfa_page;

/* Returns a reference to the token table in force (the caller unrefs it). */
typedef dfa_tokens *(*dfa_page_tokens_fn)(void *ctx);

/* cfg, core, rate and tokens_ctx are borrowed and must outlive the page. On
 * success *out belongs to the caller (dfa_page_free, after the server is
 * freed). Fails naming the catalog file when it cannot be read again. */
dfa_status dfa_page_new(const dfa_config *cfg, const dfa_core *core, dfa_ratelimit *rate, dfa_page_tokens_fn tokens,
                        void *tokens_ctx, dfa_page **out, dfa_error *err);
void dfa_page_free(dfa_page *page);

/* Adds GET /v1/whoami and GET /v1/catalog to srv (before dfa_http_start). */
dfa_status dfa_page_routes(dfa_page *page, dfa_http_server *srv, dfa_error *err);

#endif
