/* dfa_http: the HTTP layer every service of the pipeline serves from
 * (dfa-gateway, the ministry's live view), on libmicrohttpd 0.9.75.
 *
 *   dfa_http_server *srv;
 *   dfa_http_options o = dfa_http_defaults();      // then o.listen = "127.0.0.1:8080", limits...
 *   dfa_http_server_new(&o, metrics, &srv, &err);
 *   dfa_http_route(srv, "POST", "/v1/events", &(dfa_http_route_spec){
 *       .max_body = 8 << 20, .check = before_body, .handle = on_request, .ctx = app});
 *   dfa_http_serve_metrics(srv, "/metrics");
 *   dfa_http_start(srv, &err);                     // listening from here
 *   ...
 *   dfa_http_server_free(srv);                     // stops, waits for the threads
 *
 * Threads. libmicrohttpd's internal polling threads with epoll
 * (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, a pool of o.threads), and
 * suspend/resume (MHD_ALLOW_SUSPEND_RESUME): a handler that must wait for
 * something (Kafka's delivery reports; the next change of the figures for a
 * Server-Sent Events stream) calls dfa_http_defer and returns at once; its
 * connection leaves the poll set and costs nothing until some other thread
 * answers with a dfa_http_respond* call, which resumes it. So a thousand
 * waiting clients hold a thousand small structs, not a thousand threads: the
 * reason thread-per-connection was not chosen.
 *
 * Limits, all enforced here, none left to the handler:
 *   - o.max_connections (MHD_OPTION_CONNECTION_LIMIT), o.max_per_ip
 *     (MHD_OPTION_PER_IP_CONNECTION_LIMIT): over them a connection is closed
 *     as soon as it is accepted;
 *   - headers: at most o.header_bytes per connection (libmicrohttpd's memory
 *     pool; more is answered 431 by libmicrohttpd);
 *   - o.idle_timeout_s: a connection silent that long is closed;
 *   - o.request_timeout_s: a request (headers and body) must arrive whole
 *     within that long of its connection opening, or of the previous answer
 *     on a keep-alive connection. A client sending one byte a second is cut
 *     off (the idle timeout alone never fires for it);
 *   - a route's max_body: 413 as soon as Content-Length says more, or as soon
 *     as the bytes received pass it (the connection is then closed, as the
 *     rest of the body is not read); a body is held in memory only up to it;
 *   - o.max_body_memory: all bodies being received at once together; a
 *     request that would pass it gets 503 with Retry-After.
 * Every refusal is counted in dfa_http_requests_total and logged.
 *
 * Errors are JSON: {"error":{"code":"payload_too_large","message":"..."}}.
 *
 * TLS: when o.tls_cert and o.tls_key name PEM files, the server speaks only
 * HTTPS (libmicrohttpd on GnuTLS); the key is read once at start and wiped
 * when the server is freed. */
#ifndef DFA_HTTP_H
#define DFA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_error.h"
#include "dfa_metrics.h"

struct json_t;

typedef struct dfa_http_server dfa_http_server;
typedef struct dfa_http_request dfa_http_request;

typedef struct {
    const char *listen;             /* "127.0.0.1:8080", "[::1]:8080"; port 0 takes a free one */
    const char *tls_cert, *tls_key; /* PEM files; both NULL or "" for plain HTTP */
    unsigned threads;               /* polling threads (each with its own epoll) */
    unsigned max_connections;
    unsigned max_per_ip;            /* 0: no limit per address */
    unsigned idle_timeout_s;
    unsigned request_timeout_s;
    size_t header_bytes;
    size_t max_body_memory;
    const char *name;               /* for logs: "dfa-gateway" */
} dfa_http_options;

/* The defaults of docs/configuration.md (gateway.*). */
dfa_http_options dfa_http_defaults(void);
/* The options a service's section of the config gives ("gateway" reads
 * gateway.listen, .tls_cert, .tls_key, .threads, .max_connections,
 * .max_per_ip, .idle_timeout_s, .request_timeout_s), over the defaults; the
 * strings are cfg's (borrowed: cfg must outlive the server), name is section. */
dfa_http_options dfa_http_options_of(const dfa_config *cfg, const char *section);

/* Called once the headers of a request to the route have arrived, before any
 * of its body is read: the place to refuse early (401, 403, 415, 429) so an
 * unwanted body is never read. It either answers (a dfa_http_respond* call)
 * or leaves the request to go on. */
typedef void (*dfa_http_check_fn)(dfa_http_request *req, void *ctx);
/* Called once the whole body has arrived (at once when there is none). It
 * answers, or calls dfa_http_defer and has someone answer later. */
typedef void (*dfa_http_handle_fn)(dfa_http_request *req, void *ctx);

typedef struct {
    size_t max_body;          /* 0: the route takes no body (one sent is refused, 413) */
    dfa_http_check_fn check;  /* may be NULL */
    dfa_http_handle_fn handle;
    void *ctx;                /* borrowed: must outlive the server */
} dfa_http_route_spec;

/* Makes a server (not yet listening). metrics is borrowed and must outlive
 * it: the layer counts requests there. *out belongs to the caller. Errors
 * name the option (a listen address that does not parse, a TLS file that
 * cannot be read). */
dfa_status dfa_http_server_new(const dfa_http_options *o, dfa_metrics *metrics, dfa_http_server **out,
                               dfa_error *err);

/* Adds a route before dfa_http_start. path is exact ("/v1/events"), or a
 * prefix when it ends in '*' ("/v1/rollups/" followed by a star). The spec is copied; method and
 * path are borrowed (string literals). A path with routes of other methods
 * only answers 405; no route at all, 404. */
dfa_status dfa_http_route(dfa_http_server *srv, const char *method, const char *path,
                          const dfa_http_route_spec *spec, dfa_error *err);

/* GET path: the metrics registry in Prometheus' text format. */
dfa_status dfa_http_serve_metrics(dfa_http_server *srv, const char *path, dfa_error *err);

/* Files compiled into the program (or otherwise owned by it for the life of
 * the server): GET of a file's path serves it, with the content type of its
 * extension (dfa_http_content_type); "/" serves "/index.html". files is
 * borrowed. */
typedef struct {
    const char *path; /* "/index.html" */
    const unsigned char *data;
    size_t len;
} dfa_http_file;
dfa_status dfa_http_serve_files(dfa_http_server *srv, const dfa_http_file *files, size_t n, dfa_error *err);

/* "text/html; charset=utf-8" for ".html", and so on; application/octet-stream
 * for an extension it does not know. */
const char *dfa_http_content_type(const char *path);

/* Starts listening. */
dfa_status dfa_http_start(dfa_http_server *srv, dfa_error *err);
/* The port listened on (useful with port 0) and whether it is HTTPS. */
unsigned dfa_http_port(const dfa_http_server *srv);
bool dfa_http_is_tls(const dfa_http_server *srv);

/* Stops listening, closes every connection (deferred requests are answered
 * 503 first by whoever still holds them, or dropped), frees everything. */
void dfa_http_server_free(dfa_http_server *srv);

/* --- inside a check or handle call --- (strings borrowed, valid until the answer) */
const char *dfa_http_method(const dfa_http_request *req);
const char *dfa_http_path(const dfa_http_request *req);
/* A request header (case-insensitive name) or a query argument; NULL if absent. */
const char *dfa_http_header(const dfa_http_request *req, const char *name);
const char *dfa_http_query(const dfa_http_request *req, const char *name);
/* The media type of Content-Type, lower-cased, without parameters
 * ("application/json" of "Application/JSON; charset=utf-8"); "" if absent.
 * Kept in the request. */
const char *dfa_http_media_type(dfa_http_request *req);
/* The credentials of "Authorization: Bearer <token>", or NULL. Never log them. */
const char *dfa_http_bearer(const dfa_http_request *req);
/* The client's address as text ("127.0.0.1"). */
const char *dfa_http_client_ip(const dfa_http_request *req);
/* The body received (handle only; NUL-terminated for convenience). */
const char *dfa_http_body(const dfa_http_request *req, size_t *len);

/* Whatever the route wants to keep with the request from check to handle
 * (a token's scope, say): free_fn(data) runs when the request ends. */
void dfa_http_set_data(dfa_http_request *req, void *data, void (*free_fn)(void *));
void *dfa_http_data(const dfa_http_request *req);

/* --- answering --- (once per request; from the check or handle call, or,
 * after dfa_http_defer, from any thread) */

/* An extra response header (copied) for the answer to come; up to 8. */
void dfa_http_add_header(dfa_http_request *req, const char *name, const char *value);
/* body (len bytes) is copied. */
void dfa_http_respond(dfa_http_request *req, unsigned status, const char *content_type, const char *body,
                      size_t len);
/* body was malloc'd and now belongs to the layer. */
void dfa_http_respond_owned(dfa_http_request *req, unsigned status, const char *content_type, char *body,
                            size_t len);
/* doc is stolen (its reference is the layer's). */
void dfa_http_respond_json(dfa_http_request *req, unsigned status, struct json_t *doc);
/* {"error":{"code":code,"message":...}}; the message is printf-formatted and
 * must not contain secrets. */
void dfa_http_error(dfa_http_request *req, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The handler answers later: the connection is suspended when the handler
 * returns and resumed by the dfa_http_respond* call that answers it. */
void dfa_http_defer(dfa_http_request *req);

#endif
