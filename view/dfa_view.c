/* dfa-view: the ministry's live view (docs/view.md). The read API of the
 * figures (/v1/totals, /v1/rollups, /v1/snapshots, /v1/provinces,
 * /v1/catalog, /v1/freshness), Server-Sent Events of their changes
 * (/v1/stream), the dashboard (view/www, compiled in), /metrics and /healthz.
 *
 * A service of its own rather than routes of dfa-gateway: the gateway is a
 * department's door for writing (Kafka producers, publish tokens), this one
 * the ministry's for reading (Redis, read tokens, a thousand idle streams);
 * they scale, fail and are exposed separately, and neither needs the other's
 * credentials. Both are served from the same HTTP layer (http/). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_http.h"
#include "dfa_log.h"
#include "dfa_redis.h"
#include "dfa_token.h"
#include "dfa_view_api.h"
#include "dfa_view_streams.h"
#include "dfa_www.h"

extern char **environ;

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig, stop_requested = 1; }

static void serve_health(dfa_http_request *req, void *ctx)
{
    (void)ctx;
    dfa_http_respond(req, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
}

static dfa_http_options http_options(const dfa_config *cfg)
{
    dfa_http_options o = dfa_http_options_of(cfg, "view");
    o.name = "dfa-view";
    o.max_body_memory = 1u << 20; /* no route takes a body */
    return o;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {DFA_CONFIG_LONG_OPTIONS, {"address-file", required_argument, 0, 'A'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    dfa_config_args args = {0};
    const char *address_file = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'A': address_file = optarg; break;
        case 'h':
            printf("usage: dfa-view [--config FILE] [--set key=value]... [--address-file FILE]\n"
                   "  serves the read API, live streams and the dashboard on view.listen (docs/view.md);\n"
                   "  --address-file writes the address it listens on (with view.listen port 0)\n");
            return 0;
        default:
            if (!dfa_config_args_take(&args, ch, optarg))
                return 2;
        }
    }
    dfa_core *core = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-view", &args, environ, &core);
    if (!cfg)
        return 2;
    dfa_log_init("dfa-view", dfa_config_str(cfg, "log.level"));
    dfa_error err = {0};
    dfa_view_app app = {.cfg = cfg, .core = core};
    dfa_http_server *srv = NULL;
    dfa_redis *redis = NULL;
    int rc = 2;
    const char *tokens = dfa_config_str(cfg, "view.tokens");
    if (!*tokens) {
        fprintf(stderr, "dfa-view: view.tokens: a token file is required (docs/view.md, dfa-token)\n");
        goto out;
    }
    dfa_http_options o = http_options(cfg);
    if (dfa_tokens_load(tokens, core, &app.tokens, &err) != DFA_OK || !(app.metrics = dfa_metrics_new()) ||
        dfa_redis_new(cfg, &redis, &err) != DFA_OK ||
        dfa_view_cache_new(cfg, core, redis, app.metrics, &app.cache, &err) != DFA_OK)
        goto fail;
    redis = NULL; /* the cache's */
    if (dfa_view_streams_new(&app, &app.streams, &err) != DFA_OK || dfa_http_server_new(&o, app.metrics, &srv, &err) != DFA_OK ||
        dfa_view_api_routes(&app, srv, &err) != DFA_OK || dfa_view_streams_route(app.streams, srv, &err) != DFA_OK ||
        dfa_http_route(srv, "GET", "/healthz", &(dfa_http_route_spec){.handle = serve_health}, &err) != DFA_OK ||
        dfa_http_serve_metrics(srv, "/metrics", &err) != DFA_OK ||
        dfa_http_serve_files(srv, dfa_www_files, dfa_www_count, &err) != DFA_OK ||
        dfa_view_cache_start(app.cache, &err) != DFA_OK || dfa_http_start(srv, &err) != DFA_OK)
        goto fail;
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    char where[300];
    const char *host = o.listen;
    const char *colon = strrchr(host, ':');
    snprintf(where, sizeof where, "%s://%.*s:%u", dfa_http_is_tls(srv) ? "https" : "http", (int)(colon - host), host,
             dfa_http_port(srv));
    dfa_log(DFA_LOG_INFO, "listening", "address=%s tokens=%zu", where, dfa_tokens_count(app.tokens));
    if (address_file) {
        FILE *f = fopen(address_file, "w");
        if (!f || fprintf(f, "%s\n", where) < 0 || fclose(f) != 0) {
            fprintf(stderr, "dfa-view: --address-file %s: cannot write\n", address_file);
            goto out;
        }
    }
    while (!stop_requested)
        pause();
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "dfa-view: %s\n", err.msg);
out:
    if (app.streams)
        dfa_view_streams_close(app.streams);
    dfa_http_server_free(srv);
    dfa_view_cache_free(app.cache); /* after the server: no handler uses it any more */
    dfa_view_streams_free(app.streams);
    dfa_redis_free(redis);
    dfa_metrics_free(app.metrics);
    dfa_tokens_unref(app.tokens);
    dfa_core_free(core);
    dfa_config_free(cfg);
    dfa_log(DFA_LOG_INFO, "stopped", "rc=%d", rc);
    return rc;
}
