#include "dfa_http_query.h"

#include "dfa_http_mhd.h"

typedef struct {
    dfa_http_arg_fn fn;
    void *ctx;
} walk;

static enum MHD_Result one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    walk *w = cls;
    return w->fn(w->ctx, key, value) ? MHD_YES : MHD_NO;
}

size_t dfa_http_query_each(const dfa_http_request *req, dfa_http_arg_fn fn, void *ctx)
{
    walk w = {fn, ctx};
    int n = MHD_get_connection_values(dfa_http_mhd_connection(req), MHD_GET_ARGUMENT_KIND, one, &w);
    return n > 0 ? (size_t)n : 0;
}
