/* dfa_view_streams: GET /v1/stream, the figures as Server-Sent Events.
 *
 * A stream asks what /v1/totals asks (period, province, metric, by, ...). It
 * gets one event "totals" whenever the figures of its rollup change, with the
 * totals document as data and the change id (the offsets vector) as id, and a
 * comment line every view.heartbeat_s so a vanished client is noticed. On
 * connect, the current figures are sent at once unless Last-Event-ID names
 * them already: a client that reconnects misses nothing.
 *
 * The events come from dfa_view_cache's refresher: one read per interval
 * and period, one rendering per change and variant, the same bytes copied to
 * every stream (dfa_http_stream: bounded per client, never blocking). */
#ifndef DFA_VIEW_STREAMS_H
#define DFA_VIEW_STREAMS_H

#include "dfa_http.h"
#include "dfa_view_app.h"

/* app is borrowed; the streams register with app->cache for changes. */
dfa_status dfa_view_streams_new(dfa_view_app *app, dfa_view_streams **out, dfa_error *err);
dfa_status dfa_view_streams_route(dfa_view_streams *s, dfa_http_server *srv, dfa_error *err);
/* Ends every stream (before the server is freed). */
void dfa_view_streams_close(dfa_view_streams *s);
void dfa_view_streams_free(dfa_view_streams *s);

#endif
