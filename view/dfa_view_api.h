/* dfa_view_api: the read API of dfa-view (docs/view.md): who asks (the
 * token and its scope), what is asked (a period and a filter, from the query
 * string), and the answers, all from the rollups of dfa_view_cache.
 *
 * Scope: a token with the read right and provinces "*" is national: it reads
 * everything. A token with a list of provinces reads those provinces only
 * (and the units they absorbed); the nation, the table by province, another
 * province, the rollups and the snapshots answer 403 to it. With a single
 * province, that province is the default scope of its requests. */
#ifndef DFA_VIEW_API_H
#define DFA_VIEW_API_H

#include <stdbool.h>

#include "dfa_http.h"
#include "dfa_totals.h"
#include "dfa_view_app.h"

/* What a request for figures asks: the rollup (spec) and what of it. */
typedef struct {
    dfa_rollup_spec spec;
    char label[64];
    dfa_totals_filter filter;
    char scope[8];
    const char *metrics[64];
    char metric_names[64][64];
    bool csv;
} dfa_view_ask;

/* The token of the request when it may read; else answers 401/403 and returns NULL. */
const dfa_token *dfa_view_reader(dfa_view_app *app, dfa_http_request *req);

/* Parses the query into *ask and checks it against the token's scope; false
 * when it answered an error (400 naming the bad argument, 403). */
bool dfa_view_parse_ask(dfa_view_app *app, dfa_http_request *req, const dfa_token *tok, dfa_view_ask *ask);

/* The variant text under which a result keeps the rendering of ask. */
void dfa_view_variant(const dfa_view_ask *ask, const char *kind, char *out, size_t cap);

/* The totals document of ask from r: the rollup's figures, labelled, with
 * complete, read_at, offsets and change_id. The caller owns it. */
json_t *dfa_view_totals(dfa_view_app *app, const dfa_view_result *r, const dfa_view_ask *ask);

/* The routes: GET /v1/totals, /v1/rollups/<period>, /v1/snapshots, /v1/provinces, /v1/catalog,
 * /v1/freshness, /v1/me (the stream's route is dfa_view_streams'). */
dfa_status dfa_view_api_routes(dfa_view_app *app, dfa_http_server *srv, dfa_error *err);

#endif
