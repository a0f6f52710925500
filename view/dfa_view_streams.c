#include "dfa_view_streams.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_array.h"
#include "dfa_clock.h"
#include "dfa_http_stream.h"
#include "dfa_log.h"
#include "dfa_view_api.h"

typedef struct {
    dfa_http_stream *stream;
    char key[128];        /* the cache entry it watches */
    char variant[1024];   /* its rendering */
    dfa_view_ask ask;
} listener;

struct dfa_view_streams {
    dfa_view_app *app;
    pthread_mutex_t lock; /* the listeners */
    listener **all;
    size_t n, cap, max;
    size_t buffer_bytes;
    double heartbeat_s, last_beat;
    bool closing;
    dfa_gauge *open;
    dfa_counter *events, *dropped;
};

typedef struct {
    dfa_view_app *app;
    const dfa_view_ask *ask;
} render_ctx;

/* "id: <change id>\nevent: totals\ndata: <the totals document, one line>\n\n" */
static char *render_event(const dfa_view_result *r, void *ctx, size_t *len)
{
    render_ctx *c = ctx;
    json_t *doc = dfa_view_totals(c->app, r, c->ask);
    char *data = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(doc);
    if (!data)
        return NULL;
    const char *id = dfa_view_result_change_id(r);
    size_t n = strlen(id) + strlen(data) + 40;
    char *out = malloc(n);
    if (out)
        *len = (size_t)snprintf(out, n, "id: %s\nevent: totals\ndata: %s\n\n", id, data);
    free(data);
    return out;
}

static bool send_result(dfa_view_streams *s, listener *l, dfa_view_result *r)
{
    render_ctx rc = {s->app, &l->ask};
    size_t len = 0;
    const char *text = dfa_view_result_render(r, l->variant, render_event, &rc, &len);
    if (!text)
        return false;
    dfa_counter_add(s->events, 1);
    return dfa_http_stream_write(l->stream, text, len);
}

/* Under s->lock: the listener goes (its stream closed by its client or by us). */
static void drop_at(dfa_view_streams *s, size_t i)
{
    listener *l = s->all[i];
    dfa_view_cache_unwatch(s->app->cache, l->key);
    dfa_http_stream_end(l->stream);
    dfa_http_stream_release(l->stream);
    free(l);
    s->all[i] = s->all[--s->n];
    dfa_gauge_set(s->open, (int64_t)s->n);
}

/* The refresher's call: a change of key's figures, or (key NULL) a tick. */
static void on_change(void *ctx, const char *key, dfa_view_result *r)
{
    dfa_view_streams *s = ctx;
    pthread_mutex_lock(&s->lock);
    double now = dfa_clock_seconds();
    bool beat = !key && now - s->last_beat >= s->heartbeat_s;
    if (beat)
        s->last_beat = now;
    for (size_t i = 0; i < s->n;) {
        listener *l = s->all[i];
        bool ok = true;
        if (key && strcmp(l->key, key) == 0)
            ok = send_result(s, l, r);
        else if (beat)
            ok = dfa_http_stream_write(l->stream, ":\n\n", 3);
        else if (!key)
            ok = dfa_http_stream_is_open(l->stream);
        if (ok) {
            i++;
        } else {
            dfa_counter_add(s->dropped, 1);
            drop_at(s, i);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void serve_stream(dfa_http_request *req, void *ctx)
{
    dfa_view_streams *s = ctx;
    dfa_view_app *app = s->app;
    const dfa_token *tok = dfa_view_reader(app, req);
    listener *l = calloc(1, sizeof *l);
    if (!tok || !l || !dfa_view_parse_ask(app, req, tok, &l->ask)) {
        if (tok && !l)
            dfa_http_error(req, 500, "internal", "out of memory");
        free(l);
        return;
    }
    l->ask.csv = false;
    l->ask.spec.label = l->ask.label; /* the ask moved into the listener */
    l->ask.filter.metrics = l->ask.metrics;
    l->ask.filter.scope = l->ask.scope[0] ? l->ask.scope : NULL;
    for (size_t i = 0; i < l->ask.filter.n_metrics; i++)
        l->ask.metrics[i] = l->ask.metric_names[i];
    pthread_mutex_lock(&s->lock);
    bool full = s->n >= s->max || s->closing;
    pthread_mutex_unlock(&s->lock);
    if (full) {
        free(l);
        dfa_http_add_header(req, "Retry-After", "5");
        dfa_http_error(req, 503, "busy", "%zu streams are open already (view.max_streams)", s->max);
        return;
    }
    dfa_view_result *r = NULL;
    dfa_error err = {0};
    if (dfa_view_cache_get(app->cache, &l->ask.spec, true, &r, &err) != DFA_OK) {
        free(l);
        dfa_http_add_header(req, "Retry-After", "1");
        dfa_http_error(req, 503, err.code == DFA_ERR_LIMIT ? "busy" : "store_unavailable", "%s",
                       err.code == DFA_ERR_LIMIT ? err.msg : "the figures cannot be read now; retry shortly");
        return;
    }
    dfa_view_cache_key(&l->ask.spec, l->key, sizeof l->key);
    dfa_view_variant(&l->ask, "sse", l->variant, sizeof l->variant);
    if (!(l->stream = dfa_http_stream_open(req, "text/event-stream; charset=utf-8", s->buffer_bytes))) {
        dfa_view_cache_unwatch(app->cache, l->key);
        dfa_view_result_release(r);
        free(l);
        return;
    }
    pthread_mutex_lock(&s->lock);
    bool ok = dfa_array_reserve((void **)&s->all, &s->cap, s->n + 1, sizeof *s->all);
    if (ok) {
        s->all[s->n++] = l;
        dfa_gauge_set(s->open, (int64_t)s->n);
        const char *last = dfa_http_header(req, "Last-Event-ID");
        dfa_http_stream_write(l->stream, "retry: 2000\n\n", 13);
        /* the latest result, taken under the lock: a change installed since is either this one or
         * is sent to this listener by the refresher after it */
        dfa_view_result *latest = NULL;
        if (dfa_view_cache_get(app->cache, &l->ask.spec, false, &latest, &err) == DFA_OK) {
            dfa_view_result_release(r);
            r = latest;
        }
        if (!last || strcmp(last, dfa_view_result_change_id(r)) != 0)
            send_result(s, l, r);
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        dfa_view_cache_unwatch(app->cache, l->key);
        dfa_http_stream_end(l->stream);
        dfa_http_stream_release(l->stream);
        free(l);
    }
    dfa_view_result_release(r);
}

dfa_status dfa_view_streams_new(dfa_view_app *app, dfa_view_streams **out, dfa_error *err)
{
    dfa_view_streams *s = calloc(1, sizeof *s);
    if (!s)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    s->app = app;
    s->max = (size_t)dfa_config_int(app->cfg, "view.max_streams");
    s->buffer_bytes = (size_t)dfa_config_int(app->cfg, "view.stream_buffer_bytes");
    s->heartbeat_s = (double)dfa_config_int(app->cfg, "view.heartbeat_s");
    s->last_beat = dfa_clock_seconds();
    pthread_mutex_init(&s->lock, NULL);
    s->open = dfa_metrics_gauge(app->metrics, "dfa_view_streams", "Server-Sent Events streams open now", "");
    s->events = dfa_metrics_counter(app->metrics, "dfa_view_stream_events_total", "Events written to streams", "");
    s->dropped = dfa_metrics_counter(app->metrics, "dfa_view_streams_dropped_total",
                                     "Streams closed by the view: their client went away or did not keep up", "");
    dfa_view_cache_on_change(app->cache, on_change, s);
    *out = s;
    return DFA_OK;
}

dfa_status dfa_view_streams_route(dfa_view_streams *s, dfa_http_server *srv, dfa_error *err)
{
    return dfa_http_route(srv, "GET", "/v1/stream", &(dfa_http_route_spec){.handle = serve_stream, .ctx = s}, err);
}

void dfa_view_streams_close(dfa_view_streams *s)
{
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    while (s->n)
        drop_at(s, s->n - 1);
    pthread_mutex_unlock(&s->lock);
    dfa_http_stream_wait_idle(5000);
}

void dfa_view_streams_free(dfa_view_streams *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->all);
    free(s);
}
