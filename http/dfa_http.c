#include "dfa_http.h"
#include "dfa_http_mhd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "dfa_array.h"
#include "dfa_clock.h"
#include "dfa_file.h"
#include "dfa_log.h"
#include "dfa_text.h"

#define MAX_EXTRA_HEADERS 8
/* a body without Content-Length grows by doubling from here, within the limits */
#define FIRST_CHUNK_BYTES 65536

typedef struct {
    const char *method, *path;
    size_t path_len;
    bool prefix;
    dfa_http_route_spec spec;
} route;

/* A connection, from its opening to its closing, as the slow-client sweeper
 * sees it: receiving a request since `since`, or not (handling, answering). */
typedef struct tracked {
    struct tracked *prev, *next;
    int fd;
    double since;
    bool receiving;
} tracked;

struct dfa_http_server {
    dfa_http_options o;
    char *listen, *name;
    char *tls_cert, *tls_key;
    size_t tls_key_len;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    dfa_metrics *metrics;
    route *routes;
    size_t n_routes, cap_routes;
    const char *metrics_path;
    const dfa_http_file *files;
    size_t n_files;
    struct MHD_Daemon *daemon;
    atomic_size_t body_memory;   /* bytes of bodies held now */
    atomic_size_t deferred;      /* requests waiting for an answer from another thread */
    pthread_mutex_t track_lock;  /* the tracked list */
    tracked *connections;
    pthread_t sweeper;
    pthread_cond_t sweeper_wake;
    bool sweeper_started, stopping;
};

struct dfa_http_request {
    dfa_http_server *srv;
    struct MHD_Connection *conn;
    tracked *track;
    const char *method, *path; /* libmicrohttpd's, valid for the request */
    const route *route;
    const char *route_label;
    char *body;
    size_t len, cap, reserved; /* reserved: counted in srv->body_memory */
    bool handled, queued;
    char media[128];
    char ip[INET6_ADDRSTRLEN];
    void *data;
    void (*data_free)(void *);
    char *hdr_names[MAX_EXTRA_HEADERS], *hdr_values[MAX_EXTRA_HEADERS];
    size_t n_hdr;
    pthread_mutex_t lock; /* what follows: an answer may come from another thread */
    bool deferred, suspended;
    struct MHD_Response *response;
    unsigned status;
};

static void set_response(dfa_http_request *req, unsigned status, struct MHD_Response *r);

dfa_http_options dfa_http_defaults(void)
{
    return (dfa_http_options){
        .listen = "127.0.0.1:8080",
        .threads = 2,
        .max_connections = 1000,
        .max_per_ip = 64,
        .idle_timeout_s = 15,
        .request_timeout_s = 30,
        .header_bytes = 32768,
        .max_body_memory = 256u << 20,
        .name = "dfa-http",
    };
}

static const char *option_key(char *out, size_t cap, const char *section, const char *name)
{
    snprintf(out, cap, "%s.%s", section, name);
    return out;
}

dfa_http_options dfa_http_options_of(const dfa_config *cfg, const char *section)
{
    char k[128];
    dfa_http_options o = dfa_http_defaults();
    o.name = section;
    o.listen = dfa_config_str(cfg, option_key(k, sizeof k, section, "listen"));
    o.tls_cert = dfa_config_str(cfg, option_key(k, sizeof k, section, "tls_cert"));
    o.tls_key = dfa_config_str(cfg, option_key(k, sizeof k, section, "tls_key"));
    o.threads = (unsigned)dfa_config_int(cfg, option_key(k, sizeof k, section, "threads"));
    o.max_connections = (unsigned)dfa_config_int(cfg, option_key(k, sizeof k, section, "max_connections"));
    o.max_per_ip = (unsigned)dfa_config_int(cfg, option_key(k, sizeof k, section, "max_per_ip"));
    o.idle_timeout_s = (unsigned)dfa_config_int(cfg, option_key(k, sizeof k, section, "idle_timeout_s"));
    o.request_timeout_s = (unsigned)dfa_config_int(cfg, option_key(k, sizeof k, section, "request_timeout_s"));
    return o;
}

/* --- the server --- */

static dfa_status parse_listen(dfa_http_server *srv, const char *listen, dfa_error *err)
{
    char host[256], port[16];
    const char *colon = strrchr(listen, ':');
    const char *h = listen, *h_end = colon;
    if (colon && listen[0] == '[') {
        h = listen + 1;
        h_end = colon > listen && colon[-1] == ']' ? colon - 1 : NULL;
    }
    if (!colon || !h_end || h_end < h || (size_t)(h_end - h) >= sizeof host || strlen(colon + 1) >= sizeof port ||
        !colon[1])
        return dfa_fail(err, DFA_ERR_CONFIG, "listen address \"%s\": expected HOST:PORT or [IPV6]:PORT",
                        DFA_TEXT_SHOWN(listen, 64));
    snprintf(host, sizeof host, "%.*s", (int)(h_end - h), h);
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "listen address \"%s\": %s", DFA_TEXT_SHOWN(listen, 64),
                        gai_strerror(rc));
    memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
    srv->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return DFA_OK;
}

dfa_status dfa_http_server_new(const dfa_http_options *o, dfa_metrics *metrics, dfa_http_server **out,
                               dfa_error *err)
{
    dfa_http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return dfa_fail(err, DFA_ERR_NOMEM, "http: out of memory");
    srv->o = *o;
    srv->metrics = metrics;
    srv->name = strdup(o->name ? o->name : "dfa-http");
    srv->listen = strdup(o->listen);
    pthread_mutex_init(&srv->track_lock, NULL);
    pthread_cond_init(&srv->sweeper_wake, NULL);
    dfa_status st = srv->name && srv->listen ? parse_listen(srv, o->listen, err)
                                             : dfa_fail(err, DFA_ERR_NOMEM, "http: out of memory");
    bool cert = o->tls_cert && *o->tls_cert, key = o->tls_key && *o->tls_key;
    if (st == DFA_OK && cert != key)
        st = dfa_fail(err, DFA_ERR_CONFIG, "TLS needs both a certificate and a key file");
    if (st == DFA_OK && cert && (st = dfa_file_read(o->tls_cert, &srv->tls_cert, NULL, err)) == DFA_OK)
        st = dfa_file_read(o->tls_key, &srv->tls_key, &srv->tls_key_len, err);
    srv->o.listen = srv->listen;
    srv->o.name = srv->name;
    srv->o.tls_cert = srv->o.tls_key = NULL;
    if (st != DFA_OK) {
        dfa_http_server_free(srv);
        return st;
    }
    *out = srv;
    return DFA_OK;
}

dfa_status dfa_http_route(dfa_http_server *srv, const char *method, const char *path,
                          const dfa_http_route_spec *spec, dfa_error *err)
{
    if (!dfa_array_reserve((void **)&srv->routes, &srv->cap_routes, srv->n_routes + 1, sizeof *srv->routes))
        return dfa_fail(err, DFA_ERR_NOMEM, "http: out of memory");
    size_t n = strlen(path);
    bool prefix = n && path[n - 1] == '*';
    srv->routes[srv->n_routes++] = (route){method, path, prefix ? n - 1 : n, prefix, *spec};
    return DFA_OK;
}

static void serve_metrics(dfa_http_request *req, void *ctx)
{
    size_t len;
    char *text = dfa_metrics_render(ctx, &len);
    if (!text)
        dfa_http_error(req, 500, "internal", "out of memory");
    else
        dfa_http_respond_owned(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

dfa_status dfa_http_serve_metrics(dfa_http_server *srv, const char *path, dfa_error *err)
{
    return dfa_http_route(srv, "GET", path, &(dfa_http_route_spec){.handle = serve_metrics, .ctx = srv->metrics},
                          err);
}

dfa_status dfa_http_serve_files(dfa_http_server *srv, const dfa_http_file *files, size_t n, dfa_error *err)
{
    (void)err;
    srv->files = files;
    srv->n_files = n;
    return DFA_OK;
}

const char *dfa_http_content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},               {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},  {".csv", "text/csv; charset=utf-8"},
        {".map", "application/json"},           {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

/* --- the slow-client sweeper --- */

static void *sweep_loop(void *arg)
{
    dfa_http_server *srv = arg;
    pthread_mutex_lock(&srv->track_lock);
    while (!srv->stopping) {
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += 250 * 1000000L;
        if (wake.tv_nsec >= 1000000000L) {
            wake.tv_sec++;
            wake.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->sweeper_wake, &srv->track_lock, &wake);
        double now = dfa_clock_seconds();
        for (tracked *t = srv->connections; t; t = t->next) {
            if (!t->receiving || now - t->since < srv->o.request_timeout_s || t->fd < 0)
                continue;
            /* libmicrohttpd owns the socket and closes it; shutting it down makes its next read fail.
             * The fd is still this connection's: it is unlinked here, under this lock, before it is closed. */
            shutdown(t->fd, SHUT_RDWR);
            t->fd = -1;
            dfa_log(DFA_LOG_WARN, "slow_client_cut", "server=%s after_s=%u", srv->name, srv->o.request_timeout_s);
            dfa_counter_add(dfa_metrics_counter(srv->metrics, "dfa_http_slow_clients_cut_total",
                                                "Connections closed because a request took longer than the request timeout to arrive",
                                                ""),
                            1);
        }
    }
    pthread_mutex_unlock(&srv->track_lock);
    return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    dfa_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        tracked *t = calloc(1, sizeof *t);
        if (!t)
            return; /* not swept, still bounded by the idle timeout */
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        t->fd = fd ? fd->connect_fd : -1;
        t->since = dfa_clock_seconds();
        t->receiving = true;
        pthread_mutex_lock(&srv->track_lock);
        t->next = srv->connections;
        if (t->next)
            t->next->prev = t;
        srv->connections = t;
        pthread_mutex_unlock(&srv->track_lock);
        *socket_context = t;
    } else if (*socket_context) {
        tracked *t = *socket_context;
        pthread_mutex_lock(&srv->track_lock);
        if (t->prev)
            t->prev->next = t->next;
        else
            srv->connections = t->next;
        if (t->next)
            t->next->prev = t->prev;
        pthread_mutex_unlock(&srv->track_lock);
        free(t);
        *socket_context = NULL;
    }
}

static void set_receiving(dfa_http_server *srv, tracked *t, bool receiving)
{
    if (!t)
        return;
    pthread_mutex_lock(&srv->track_lock);
    t->receiving = receiving;
    t->since = dfa_clock_seconds();
    pthread_mutex_unlock(&srv->track_lock);
}

/* --- requests --- */

static bool reserve_body_memory(dfa_http_server *srv, size_t n)
{
    size_t used = atomic_load(&srv->body_memory);
    do {
        if (n > srv->o.max_body_memory || used > srv->o.max_body_memory - n)
            return false;
    } while (!atomic_compare_exchange_weak(&srv->body_memory, &used, used + n));
    return true;
}

static void free_request(dfa_http_request *req)
{
    if (req->data_free)
        req->data_free(req->data);
    free(req->body);
    atomic_fetch_sub(&req->srv->body_memory, req->reserved);
    for (size_t i = 0; i < req->n_hdr; i++) {
        free(req->hdr_names[i]);
        free(req->hdr_values[i]);
    }
    if (req->response)
        MHD_destroy_response(req->response);
    pthread_mutex_destroy(&req->lock);
    free(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    dfa_http_server *srv = cls;
    dfa_http_request *req = *req_cls;
    (void)toe;
    if (req) {
        set_receiving(srv, req->track, true); /* the next request of a keep-alive connection starts its clock */
        free_request(req);
        *req_cls = NULL;
    } else {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        set_receiving(srv, ci ? ci->socket_context : NULL, true);
    }
}

static const route *find_route(const dfa_http_server *srv, const char *method, const char *path, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < srv->n_routes; i++) {
        const route *r = &srv->routes[i];
        bool match = r->prefix ? strncmp(path, r->path, r->path_len) == 0 : strcmp(path, r->path) == 0;
        if (!match)
            continue;
        *path_known = true;
        if (strcmp(method, r->method) == 0)
            return r;
    }
    return NULL;
}

static const dfa_http_file *find_file(const dfa_http_server *srv, const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < srv->n_files; i++)
        if (strcmp(srv->files[i].path, path) == 0)
            return &srv->files[i];
    return NULL;
}

static dfa_http_request *new_request(dfa_http_server *srv, struct MHD_Connection *conn, const char *url,
                                     const char *method)
{
    dfa_http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->method = method;
    req->path = url;
    req->route_label = "none";
    pthread_mutex_init(&req->lock, NULL);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->track = ci ? ci->socket_context : NULL;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->ip, sizeof req->ip);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->ip, sizeof req->ip);
    return req;
}

/* The Content-Length the client declared: -1 when none (chunked, or no body). */
static long long declared_length(const dfa_http_request *req)
{
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl ? strtoll(cl, NULL, 10) : -1;
}

static bool is_chunked(const dfa_http_request *req)
{
    const char *te = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te && strcasestr(te, "chunked");
}

static bool answered(dfa_http_request *req)
{
    pthread_mutex_lock(&req->lock);
    bool done = req->response || req->queued;
    pthread_mutex_unlock(&req->lock);
    return done;
}

static void count_request(dfa_http_request *req, unsigned status)
{
    char labels[160];
    snprintf(labels, sizeof labels, "route=\"%s\",code=\"%u\"", req->route_label, status);
    dfa_counter_add(dfa_metrics_counter(req->srv->metrics, "dfa_http_requests_total",
                                        "HTTP requests answered, by route and status", labels),
                    1);
    dfa_log(status >= 500 ? DFA_LOG_WARN : DFA_LOG_DEBUG, "http_request", "server=%s method=%s route=%s status=%u",
            req->srv->name, req->method, req->route_label, status);
}

/* Queues the answer set by a respond call, if there is one; else, when the
 * handler deferred, suspends the connection until it comes. */
static enum MHD_Result queue_or_suspend(dfa_http_request *req)
{
    enum MHD_Result rc = MHD_YES;
    pthread_mutex_lock(&req->lock);
    if (req->response && !req->queued) {
        rc = MHD_queue_response(req->conn, req->status, req->response);
        MHD_destroy_response(req->response);
        req->response = NULL;
        req->queued = true;
        req->suspended = false;
        count_request(req, req->status);
    } else if (req->deferred && !req->suspended && !req->queued) {
        req->suspended = true;
        atomic_fetch_add(&req->srv->deferred, 1);
        MHD_suspend_connection(req->conn);
    }
    pthread_mutex_unlock(&req->lock);
    return rc;
}

/* The first call for a request: its headers are here, its body is not read yet. */
static void begin_request(dfa_http_request *req)
{
    dfa_http_server *srv = req->srv;
    bool path_known;
    req->route = find_route(srv, req->method, req->path, &path_known);
    if (req->route) {
        req->route_label = req->route->path;
    } else if (!path_known && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) &&
               find_file(srv, req->path)) {
        req->route_label = "static";
        return;
    } else {
        if (path_known)
            dfa_http_error(req, 405, "method_not_allowed", "%s is not allowed here", req->method);
        else
            dfa_http_error(req, 404, "not_found", "no such resource");
        return;
    }
    size_t max = req->route->spec.max_body;
    long long cl = declared_length(req);
    if ((cl > 0 || is_chunked(req)) && max == 0) {
        dfa_http_error(req, 413, "payload_too_large", "this resource takes no body");
        return;
    }
    if (cl > (long long)max) {
        dfa_http_error(req, 413, "payload_too_large", "body of %lld bytes, more than the limit of %zu", cl, max);
        return;
    }
    if (req->route->spec.check) {
        req->route->spec.check(req, req->route->spec.ctx);
        if (answered(req))
            return;
    }
    if (cl > 0) {
        if (!reserve_body_memory(srv, (size_t)cl + 1)) {
            dfa_http_add_header(req, "Retry-After", "1");
            dfa_http_error(req, 503, "busy", "too many request bodies are being received; retry shortly");
            return;
        }
        req->reserved = (size_t)cl + 1;
        req->cap = (size_t)cl + 1;
        if (!(req->body = malloc(req->cap)))
            dfa_http_error(req, 500, "internal", "out of memory");
    }
}

/* Appends n bytes of body; false (and an answer set, when one can be) if they cannot be kept. */
static bool take_body(dfa_http_request *req, const char *data, size_t n)
{
    size_t max = req->route->spec.max_body;
    if (n > max - req->len) {
        dfa_http_error(req, 413, "payload_too_large", "body of more than the limit of %zu bytes", max);
        return false;
    }
    if (req->len + n + 1 > req->cap) {
        size_t cap = req->cap ? req->cap : FIRST_CHUNK_BYTES;
        while (cap < req->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *b = NULL;
        if (!reserve_body_memory(req->srv, cap - req->reserved) || !(b = realloc(req->body, cap))) {
            if (cap > req->reserved && !b)
                atomic_fetch_sub(&req->srv->body_memory, cap - req->reserved);
            dfa_http_add_header(req, "Retry-After", "1");
            dfa_http_error(req, 503, "busy", "too many request bodies are being received; retry shortly");
            return false;
        }
        req->body = b;
        req->reserved = req->cap = cap;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return true;
}

static void serve_file(dfa_http_request *req)
{
    const dfa_http_file *f = find_file(req->srv, req->path);
    dfa_http_add_header(req, "Cache-Control", "no-cache");
    /* everything the pages need comes from here: no script, style or font from elsewhere, no framing */
    dfa_http_add_header(req, "Content-Security-Policy",
                        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
                        "base-uri 'none'; form-action 'self'");
    struct MHD_Response *r = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, dfa_http_content_type(f->path));
    set_response(req, 200, r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls)
{
    (void)version;
    dfa_http_request *req = *req_cls;
    if (!req) {
        if (!(req = new_request(cls, conn, url, method)))
            return MHD_NO;
        *req_cls = req;
        begin_request(req);
        return answered(req) ? queue_or_suspend(req) : MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (answered(req) || take_body(req, upload_data, n))
            return MHD_YES;
        /* the answer goes out now and the connection is closed after it: the rest of the body is never read.
         * (Where libmicrohttpd refuses an answer in the middle of a body, the connection is just closed.) */
        return queue_or_suspend(req);
    }
    if (!req->handled) {
        req->handled = true;
        set_receiving(req->srv, req->track, false);
        if (strcmp(req->route_label, "static") == 0) {
            serve_file(req);
        } else {
            if (req->body)
                req->body[req->len] = '\0';
            req->route->spec.handle(req, req->route->spec.ctx);
        }
        if (!answered(req) && !req->deferred)
            dfa_http_error(req, 500, "internal", "the handler gave no answer");
    }
    return queue_or_suspend(req);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    dfa_http_server *srv = cls;
    char msg[512], q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    dfa_log(DFA_LOG_INFO, "http_library", "server=%s msg=%s", srv->name, dfa_log_quote(msg, q, sizeof q));
}

dfa_status dfa_http_start(dfa_http_server *srv, dfa_error *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (srv->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &srv->addr};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, srv->o.max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->o.max_per_ip, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, srv->o.idle_timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)srv->o.header_bytes, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv};
    if (srv->o.threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, srv->o.threads, NULL};
    if (srv->tls_cert) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!srv->daemon)
        return dfa_fail(err, DFA_ERR_IO, "%s: cannot listen on %s%s (in use, or a bad certificate or key)",
                        srv->name, srv->listen, srv->tls_cert ? " with TLS" : "");
    if (pthread_create(&srv->sweeper, NULL, sweep_loop, srv) != 0) {
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: cannot start the sweeper thread", srv->name);
    }
    srv->sweeper_started = true;
    return DFA_OK;
}

unsigned dfa_http_port(const dfa_http_server *srv)
{
    const union MHD_DaemonInfo *i = srv->daemon ? MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    return i ? i->port : 0;
}

bool dfa_http_is_tls(const dfa_http_server *srv) { return srv->tls_cert != NULL; }

void dfa_http_server_free(dfa_http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon) {
        MHD_quiesce_daemon(srv->daemon); /* no new connection; the deferred ones get their answers */
        for (int waited = 0; atomic_load(&srv->deferred) > 0 && waited < 30000; waited += 10)
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        MHD_stop_daemon(srv->daemon);
    }
    if (srv->sweeper_started) {
        pthread_mutex_lock(&srv->track_lock);
        srv->stopping = true;
        pthread_cond_signal(&srv->sweeper_wake);
        pthread_mutex_unlock(&srv->track_lock);
        pthread_join(srv->sweeper, NULL);
    }
    if (srv->tls_key)
        sodium_memzero(srv->tls_key, srv->tls_key_len);
    free(srv->tls_key);
    free(srv->tls_cert);
    free(srv->routes);
    free(srv->listen);
    free(srv->name);
    pthread_mutex_destroy(&srv->track_lock);
    pthread_cond_destroy(&srv->sweeper_wake);
    free(srv);
}

/* --- what a handler reads --- */

const char *dfa_http_method(const dfa_http_request *req) { return req->method; }
const char *dfa_http_path(const dfa_http_request *req) { return req->path; }

const char *dfa_http_header(const dfa_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *dfa_http_query(const dfa_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *dfa_http_media_type(dfa_http_request *req)
{
    const char *ct = dfa_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = 0;
    for (; ct && ct[n] && ct[n] != ';' && n + 1 < sizeof req->media; n++)
        req->media[n] = (char)tolower((unsigned char)ct[n]);
    while (n && (req->media[n - 1] == ' ' || req->media[n - 1] == '\t'))
        n--;
    req->media[n] = '\0';
    return req->media;
}

const char *dfa_http_bearer(const dfa_http_request *req)
{
    const char *h = dfa_http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

const char *dfa_http_client_ip(const dfa_http_request *req) { return req->ip; }

const char *dfa_http_body(const dfa_http_request *req, size_t *len)
{
    *len = req->len;
    return req->body ? req->body : "";
}

void dfa_http_set_data(dfa_http_request *req, void *data, void (*free_fn)(void *))
{
    req->data = data;
    req->data_free = free_fn;
}

void *dfa_http_data(const dfa_http_request *req) { return req->data; }

/* --- answering --- */

void dfa_http_add_header(dfa_http_request *req, const char *name, const char *value)
{
    if (req->n_hdr == MAX_EXTRA_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    req->hdr_names[req->n_hdr] = n;
    req->hdr_values[req->n_hdr++] = v;
}

/* Keeps the answer (once); if the connection waits suspended, wakes it: its
 * next call of on_access queues the answer. */
static void set_response(dfa_http_request *req, unsigned status, struct MHD_Response *r)
{
    if (r) {
        for (size_t i = 0; i < req->n_hdr; i++)
            MHD_add_response_header(r, req->hdr_names[i], req->hdr_values[i]);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    } else {
        status = 500;
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    pthread_mutex_lock(&req->lock);
    if (req->response || req->queued) {
        pthread_mutex_unlock(&req->lock);
        MHD_destroy_response(r);
        return;
    }
    req->response = r;
    req->status = status;
    if (req->suspended) {
        atomic_fetch_sub(&req->srv->deferred, 1);
        MHD_resume_connection(req->conn);
    }
    pthread_mutex_unlock(&req->lock);
}

static void respond_mem(dfa_http_request *req, unsigned status, const char *content_type, void *body, size_t len,
                        enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    else if (mode == MHD_RESPMEM_MUST_FREE)
        free(body);
    set_response(req, status, r);
}

void dfa_http_respond(dfa_http_request *req, unsigned status, const char *content_type, const char *body, size_t len)
{
    respond_mem(req, status, content_type, (void *)body, len, MHD_RESPMEM_MUST_COPY);
}

void dfa_http_respond_owned(dfa_http_request *req, unsigned status, const char *content_type, char *body, size_t len)
{
    respond_mem(req, status, content_type, body, len, MHD_RESPMEM_MUST_FREE);
}

void dfa_http_respond_json(dfa_http_request *req, unsigned status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!text) {
        set_response(req, 500, NULL);
        return;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* in place of the NUL: bodies end with a newline, as curl users expect */
    respond_mem(req, status, "application/json", text, n + 1, MHD_RESPMEM_MUST_FREE);
}

void dfa_http_error(dfa_http_request *req, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[DFA_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char shown[4 * DFA_ERROR_MSG_MAX];
    const char *m = dfa_text_is_plain(msg, strlen(msg)) ? msg : dfa_text_escape(msg, strlen(msg), shown, sizeof shown);
    dfa_http_respond_json(req, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", m));
}

void dfa_http_defer(dfa_http_request *req)
{
    pthread_mutex_lock(&req->lock);
    req->deferred = true;
    pthread_mutex_unlock(&req->lock);
}

/* --- for the layer's own modules (dfa_http_mhd.h) --- */

struct MHD_Connection *dfa_http_mhd_connection(const dfa_http_request *req) { return req->conn; }

void dfa_http_mhd_respond(dfa_http_request *req, unsigned status, struct MHD_Response *r) { set_response(req, status, r); }
