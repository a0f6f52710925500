/* dfa_http_stream: an answer whose body stays open and is written as things
 * happen (Server-Sent Events), on the layer of dfa_http.h.
 *
 * The body comes from a libmicrohttpd content reader. When nothing waits to
 * be sent, the reader suspends the connection (MHD_suspend_connection) and
 * returns 0; a write from any thread resumes it. So an idle stream holds its
 * socket and a small struct, never a thread, and a thousand streams cost a
 * thousand structs.
 *
 * A slow or vanished client costs nothing to the others: a write never blocks
 * and never waits for the client; it copies into the stream's own buffer,
 * bounded: a write is taken while less than max_buffered bytes wait (so what
 * waits is at most max_buffered plus one write, and an event larger than the
 * bound still goes). A write refused for that closes the stream
 * (the client reconnects, and Last-Event-ID tells what it missed), and
 * libmicrohttpd closes a connection that takes nothing for the idle timeout.
 *
 * Every stream must be ended before the server is freed (libmicrohttpd may
 * not stop with a connection suspended): dfa_http_stream_end each, then
 * dfa_http_stream_wait_idle. */
#ifndef DFA_HTTP_STREAM_H
#define DFA_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_http.h"

typedef struct dfa_http_stream dfa_http_stream;

/* Answers req (inside its handle call) with 200, content_type and a body left
 * open. The stream has two references: the caller's (dfa_http_stream_release)
 * and the connection's, dropped when the connection ends. NULL when out of
 * memory (req is then answered 500). */
dfa_http_stream *dfa_http_stream_open(dfa_http_request *req, const char *content_type, size_t max_buffered);

/* Queues len bytes (copied) to be sent; never blocks. False when the stream is
 * closed: its client went away, it was ended, or max_buffered bytes or more
 * still wait (the stream is then closed, its counter of overflows raised). */
bool dfa_http_stream_write(dfa_http_stream *s, const char *data, size_t len);

/* False once the client is gone or the stream was closed. */
bool dfa_http_stream_is_open(dfa_http_stream *s);

/* Ends the body once what is queued is sent. */
void dfa_http_stream_end(dfa_http_stream *s);

void dfa_http_stream_release(dfa_http_stream *s);

/* Streams closed because their client did not keep up, since start. */
unsigned long dfa_http_stream_overflows(void);

/* Waits (at most timeout_ms) until no stream's connection is suspended. */
void dfa_http_stream_wait_idle(int timeout_ms);

#endif
