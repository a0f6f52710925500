/* dfa_http_query: every argument of a request's query string, in order, for
 * routes that take one argument several times (?metric=a&metric=b) or refuse
 * the ones they do not know. dfa_http_query (dfa_http.h) gives only the first. */
#ifndef DFA_HTTP_QUERY_H
#define DFA_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_http.h"

/* value is NULL for an argument without "=" ("?a"); both borrowed for the call.
 * Return false to stop. */
typedef bool (*dfa_http_arg_fn)(void *ctx, const char *name, const char *value);

/* Calls fn for each argument (inside a check or handle call); returns how many it saw. */
size_t dfa_http_query_each(const dfa_http_request *req, dfa_http_arg_fn fn, void *ctx);

#endif
