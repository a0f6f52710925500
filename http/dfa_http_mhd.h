/* dfa_http_mhd: what a module of the HTTP layer (dfa_http_stream) needs of a
 * request beyond the public API: its libmicrohttpd connection, and answering
 * with a libmicrohttpd response it made itself. Not for services. */
#ifndef DFA_HTTP_MHD_H
#define DFA_HTTP_MHD_H

#include <microhttpd.h>

#include "dfa_http.h"

/* Valid until the request ends (dfa_http_request's lifetime). */
struct MHD_Connection *dfa_http_mhd_connection(const dfa_http_request *req);
/* Answers with r (its reference passes to the layer), with the extra headers
 * added so far. */
void dfa_http_mhd_respond(dfa_http_request *req, unsigned status, struct MHD_Response *r);

#endif
