/* dfa-gateway: departments publish events over HTTP, each only for its own
 * province and reporter roles (docs/gateway.md).
 *
 * POST /v1/events: the token is checked from the headers, before any of the
 * body is read (401, 403, 429, 415); the body is split into records
 * (dfa_ingest); each record is validated by the core exactly as dfa-check
 * does, then held against the token's scope, then published (dfa_publish);
 * the answer waits, its connection suspended, until every delivery report is
 * in, and gives one result per record and the totals. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_clock.h"
#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_event.h"
#include "dfa_gateway_catalog.h"
#include "dfa_http.h"
#include "dfa_ingest.h"
#include "dfa_log.h"
#include "dfa_publish.h"
#include "dfa_ratelimit.h"
#include "dfa_text.h"
#include "dfa_token.h"
#include "dfa_www.h"

extern char **environ;

typedef struct {
    dfa_config *cfg;
    dfa_core *core;
    dfa_gateway_catalog *catalog; /* what the page's form is built from */
    dfa_metrics *metrics;
    dfa_publisher *pub;
    dfa_ratelimit *rate;
    const char *tokens_path;
    pthread_mutex_t tokens_lock; /* guards the pointer; each table is immutable and counted */
    dfa_tokens *tokens;
    size_t max_events;
    dfa_counter *accepted, *rejected, *forbidden, *failed;
    dfa_histogram *delivery;
} gateway;

typedef enum { OUT_ACCEPTED, OUT_REJECTED, OUT_FORBIDDEN, OUT_FAILED } outcome;
static const char *const outcome_names[] = {"accepted", "rejected", "forbidden", "failed"};

struct submission;
typedef struct {
    struct submission *sub;
    size_t line;
    char event_id[DFA_EVENT_ID_MAX + 1]; /* "" when the record has none that can be shown */
    outcome out;
    const char *code; /* a dfa_status name, or "kafka" */
    char *why;        /* malloc'd: the reason or the error */
} result;

/* One POST /v1/events, from its check to its answer. */
typedef struct submission {
    gateway *gw;
    dfa_http_request *req;
    dfa_tokens *table; /* a reference: the token stays valid through a reload */
    const dfa_token *tok;
    char received_at[32];
    dfa_body_format format;
    result *results;
    size_t n;
    atomic_size_t pending; /* deliveries awaited, + 1 while still sending */
    double sent_at;
} submission;

static void free_submission(void *arg)
{
    submission *s = arg;
    for (size_t i = 0; i < s->n; i++)
        free(s->results[i].why);
    free(s->results);
    dfa_tokens_unref(s->table);
    free(s);
}

static void now_utc(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static dfa_tokens *current_tokens(gateway *gw)
{
    pthread_mutex_lock(&gw->tokens_lock);
    dfa_tokens *t = dfa_tokens_ref(gw->tokens);
    pthread_mutex_unlock(&gw->tokens_lock);
    return t;
}

/* --- before the body: who is knocking, may they, and what do they send --- */

/* The token the request bears, with *table holding a reference to its table
 * (the caller's to unref); NULL when it has none valid, answered with a 401. */
static const dfa_token *authenticate(dfa_http_request *req, gateway *gw, dfa_tokens **table)
{
    const char *bearer = dfa_http_bearer(req);
    dfa_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"dfa-gateway\"");
    if (!bearer) {
        dfa_http_error(req, 401, "unauthorized", "an Authorization: Bearer <token> header is required");
        return NULL;
    }
    *table = current_tokens(gw);
    const dfa_token *tok = dfa_tokens_verify(*table, bearer);
    if (!tok) {
        dfa_tokens_unref(*table);
        dfa_log(DFA_LOG_INFO, "token_refused", "client=%s", dfa_http_client_ip(req));
        dfa_http_error(req, 401, "unauthorized", "unknown or revoked token");
    }
    return tok;
}

static void check_events(dfa_http_request *req, void *ctx)
{
    gateway *gw = ctx;
    dfa_tokens *table = NULL;
    const dfa_token *tok = authenticate(req, gw, &table);
    if (!tok)
        return;
    if (!dfa_token_has_right(tok, DFA_RIGHT_PUBLISH)) {
        dfa_http_error(req, 403, "forbidden", "token %s has no publish right", dfa_token_name(tok));
        dfa_tokens_unref(table);
        return;
    }
    unsigned wait = dfa_ratelimit_take(gw->rate, dfa_token_name(tok));
    if (wait) {
        char s[16];
        snprintf(s, sizeof s, "%u", wait);
        dfa_http_add_header(req, "Retry-After", s);
        dfa_http_error(req, 429, "rate_limited", "token %s: more than %lld requests a second; retry in %u s",
                       dfa_token_name(tok), (long long)dfa_config_int(gw->cfg, "gateway.rate_per_s"), wait);
        dfa_tokens_unref(table);
        return;
    }
    dfa_body_format format;
    const char *media = dfa_http_media_type(req);
    if (!dfa_ingest_format(media, &format)) {
        dfa_http_error(req, 415, "unsupported_media_type",
                       "Content-Type \"%s\": expected application/x-ndjson, application/json or text/csv",
                       DFA_TEXT_SHOWN(media, 64));
        dfa_tokens_unref(table);
        return;
    }
    submission *s = calloc(1, sizeof *s);
    if (!s) {
        dfa_tokens_unref(table);
        dfa_http_error(req, 500, "internal", "out of memory");
        return;
    }
    *s = (submission){.gw = gw, .req = req, .table = table, .tok = tok, .format = format};
    now_utc(s->received_at);
    dfa_http_set_data(req, s, free_submission);
}

/* --- the answer --- */

static json_t *result_json(const result *r)
{
    json_t *o = json_pack("{s:I,s:s}", "line", (json_int_t)r->line, "status", outcome_names[r->out]);
    if (r->event_id[0])
        json_object_set_new(o, "event_id", json_string(r->event_id));
    if (r->out == OUT_FORBIDDEN)
        json_object_set_new(o, "why", json_string(r->why));
    else if (r->out != OUT_ACCEPTED)
        json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code", r->code, "message", r->why));
    return o;
}

/* Once every report is in: counts, the delivery time, and the answer. The
 * answer is the last thing done with s: the layer may free it right after. */
static void answer(submission *s)
{
    gateway *gw = s->gw;
    size_t totals[4] = {0};
    json_t *results = json_array();
    for (size_t i = 0; i < s->n; i++) {
        totals[s->results[i].out]++;
        json_array_append_new(results, result_json(&s->results[i]));
    }
    dfa_counter_add(gw->accepted, totals[OUT_ACCEPTED]);
    dfa_counter_add(gw->rejected, totals[OUT_REJECTED]);
    dfa_counter_add(gw->forbidden, totals[OUT_FORBIDDEN]);
    dfa_counter_add(gw->failed, totals[OUT_FAILED]);
    if (s->sent_at)
        dfa_histogram_observe(gw->delivery, dfa_clock_seconds() - s->sent_at);
    json_t *doc = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I}}", "results", results, "totals", "records", (json_int_t)s->n,
                            "accepted", (json_int_t)totals[OUT_ACCEPTED], "rejected", (json_int_t)totals[OUT_REJECTED],
                            "forbidden", (json_int_t)totals[OUT_FORBIDDEN], "failed", (json_int_t)totals[OUT_FAILED]);
    /* Kafka took none of what it was given: unreachable, and nothing is accepted */
    bool unreachable = totals[OUT_FAILED] > 0 && totals[OUT_ACCEPTED] == 0;
    if (unreachable)
        json_object_set_new(doc, "error", json_pack("{s:s,s:s}", "code", "kafka_unavailable", "message",
                                                    "Kafka did not take the events: nothing was accepted; "
                                                    "send the request again later"));
    dfa_log(DFA_LOG_INFO, "submission", "token=%s records=%zu accepted=%zu rejected=%zu forbidden=%zu failed=%zu",
            dfa_token_name(s->tok), s->n, totals[OUT_ACCEPTED], totals[OUT_REJECTED], totals[OUT_FORBIDDEN],
            totals[OUT_FAILED]);
    if (unreachable)
        dfa_http_add_header(s->req, "Retry-After", "5");
    dfa_http_respond_json(s->req, unreachable ? 503 : 200, doc);
}

static void settle_one(submission *s)
{
    if (atomic_fetch_sub(&s->pending, 1) == 1)
        answer(s);
}

static void on_delivery(void *opaque, const char *error)
{
    result *r = opaque;
    if (error) {
        r->out = OUT_FAILED;
        r->code = "kafka";
        r->why = strdup(error);
    } else {
        r->out = OUT_ACCEPTED;
    }
    settle_one(r->sub);
}

/* --- each record --- */

static void set_why(result *r, outcome out, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_why(result *r, outcome out, const char *code, const char *fmt, ...)
{
    char msg[4 * DFA_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->out = out;
    r->code = code;
    r->why = strdup(msg);
}

/* The event_id of a record that is no valid event, when it has one fit to show. */
static void find_event_id(const dfa_record *rec, result *r)
{
    json_t *v = json_loadb(rec->text, rec->len, 0, NULL);
    const char *id = json_string_value(json_object_get(v, "event_id"));
    if (id && dfa_text_is_id(id, DFA_EVENT_ID_MAX))
        snprintf(r->event_id, sizeof r->event_id, "%s", id);
    json_decref(v);
}

/* Why the token may not publish ev, or NULL when it may. */
static bool out_of_scope(const dfa_token *tok, const dfa_event *ev, result *r)
{
    const dfa_unit *cur = dfa_event_current_unit(ev), *orig = dfa_event_original_unit(ev);
    if (!dfa_token_allows_province(tok, cur->code)) {
        if (strcmp(orig->unit_id, cur->unit_id) != 0)
            set_why(r, OUT_FORBIDDEN, "scope",
                    "province %s (%s, of which %s is now part) is outside the provinces of token %s (%s)", cur->code,
                    cur->name, orig->name, dfa_token_name(tok), dfa_token_provinces_text(tok));
        else
            set_why(r, OUT_FORBIDDEN, "scope", "province %s (%s) is outside the provinces of token %s (%s)",
                    cur->code, cur->name, dfa_token_name(tok), dfa_token_provinces_text(tok));
        return true;
    }
    if (!dfa_token_allows_reporter(tok, dfa_event_reporter(ev))) {
        set_why(r, OUT_FORBIDDEN, "scope", "reporter %s is outside the reporters of token %s (%s)",
                dfa_event_reporter(ev), dfa_token_name(tok), dfa_token_reporters_text(tok));
        return true;
    }
    return false;
}

/* Validates, scopes and sends one record; its result is final unless sent. */
static void take_record(submission *s, const dfa_record *rec, result *r)
{
    r->sub = s;
    r->line = rec->line;
    if (rec->invalid.code != DFA_OK) {
        set_why(r, OUT_REJECTED, dfa_status_name(rec->invalid.code), "%s", rec->invalid.msg);
        return;
    }
    dfa_event *ev = NULL;
    dfa_error err = {0};
    if (dfa_event_parse(s->gw->core, rec->text, rec->len, &ev, &err) != DFA_OK) {
        char shown[4 * DFA_ERROR_MSG_MAX];
        /* what dfa-check prints: the message as it is when plain, else escaped */
        const char *msg = dfa_text_is_plain(err.msg, strlen(err.msg))
                              ? err.msg : dfa_text_escape(err.msg, strlen(err.msg), shown, sizeof shown);
        set_why(r, OUT_REJECTED, dfa_status_name(err.code), "%s", msg);
        find_event_id(rec, r);
        return;
    }
    snprintf(r->event_id, sizeof r->event_id, "%s", dfa_event_id(ev));
    if (!out_of_scope(s->tok, ev, r)) {
        atomic_fetch_add(&s->pending, 1);
        if (dfa_publish_send(s->gw->pub, dfa_event_current_unit(ev)->code, rec->text, rec->len,
                             dfa_token_name(s->tok), s->received_at, r, &err) != DFA_OK) {
            atomic_fetch_sub(&s->pending, 1);
            set_why(r, OUT_FAILED, "kafka", "%s", err.msg);
        }
    }
    dfa_event_free(ev);
}

static void handle_events(dfa_http_request *req, void *ctx)
{
    gateway *gw = ctx;
    submission *s = dfa_http_data(req);
    size_t len;
    const char *body = dfa_http_body(req, &len);
    dfa_records recs = {0};
    dfa_error err = {0};
    dfa_status st = dfa_ingest_split(s->format, dfa_core_catalog(gw->core), body, len, gw->max_events, &recs, &err);
    if (st == DFA_ERR_LIMIT) {
        dfa_http_error(req, 413, "payload_too_large", "%s", err.msg);
    } else if (st == DFA_ERR_NOMEM || (recs.n && !(s->results = calloc(recs.n, sizeof *s->results)))) {
        dfa_http_error(req, 500, "internal", "out of memory");
    } else if (st != DFA_OK) {
        dfa_http_error(req, 422, "unprocessable", "%s", err.msg);
    } else {
        s->n = recs.n;
        atomic_store(&s->pending, 1); /* held until every record is sent, so the answer cannot come first */
        s->sent_at = dfa_clock_seconds();
        dfa_http_defer(req);
        for (size_t i = 0; i < recs.n; i++)
            take_record(s, &recs.items[i], &s->results[i]);
        settle_one(s);
    }
    dfa_records_free(&recs);
}

/* --- health, tokens, start --- */

static void handle_health(dfa_http_request *req, void *ctx)
{
    gateway *gw = ctx;
    bool down = dfa_publisher_kafka_down(gw->pub);
    dfa_http_respond_json(req, down ? 503 : 200,
                          json_pack("{s:s,s:s}", "status", down ? "degraded" : "ok", "kafka",
                                    down ? "the last delivery failed" : "up"));
}

/* --- what the department's page reads: any valid token may --- */

static void handle_catalog(dfa_http_request *req, void *ctx)
{
    gateway *gw = ctx;
    dfa_tokens *table = NULL;
    if (!authenticate(req, gw, &table))
        return;
    size_t len;
    const char *text = dfa_gateway_catalog_text(gw->catalog, &len);
    dfa_http_respond(req, 200, "application/json", text, len);
    dfa_tokens_unref(table);
}

static void handle_whoami(dfa_http_request *req, void *ctx)
{
    gateway *gw = ctx;
    dfa_tokens *table = NULL;
    const dfa_token *tok = authenticate(req, gw, &table);
    if (!tok)
        return;
    json_t *doc = dfa_gateway_whoami(gw->catalog, dfa_core_provinces(gw->core), tok);
    /* what one request may hold, so the page can say so before it sends a file */
    if (doc)
        json_object_set_new(doc, "limits", json_pack("{s:I,s:I}", "max_body_bytes",
                                                     (json_int_t)dfa_config_int(gw->cfg, "gateway.max_body_bytes"),
                                                     "max_events", (json_int_t)gw->max_events));
    if (doc)
        dfa_http_respond_json(req, 200, doc);
    else
        dfa_http_error(req, 500, "internal", "out of memory");
    dfa_tokens_unref(table);
}

static void reload_tokens(gateway *gw)
{
    dfa_tokens *fresh = NULL;
    dfa_error err = {0};
    if (dfa_tokens_load(gw->tokens_path, gw->core, &fresh, &err) != DFA_OK) {
        char q[512];
        dfa_log(DFA_LOG_ERROR, "tokens_not_reloaded", "error=%s kept=previous", dfa_log_quote(err.msg, q, sizeof q));
        dfa_counter_add(dfa_metrics_counter(gw->metrics, "dfa_gateway_token_reloads_total", "Token file reloads",
                                            "result=\"failed\""), 1);
        return;
    }
    pthread_mutex_lock(&gw->tokens_lock);
    dfa_tokens *old = gw->tokens;
    gw->tokens = fresh;
    pthread_mutex_unlock(&gw->tokens_lock);
    dfa_tokens_unref(old); /* freed when the last request holding it ends */
    dfa_log(DFA_LOG_INFO, "tokens_reloaded", "tokens=%zu", dfa_tokens_count(fresh));
    dfa_counter_add(dfa_metrics_counter(gw->metrics, "dfa_gateway_token_reloads_total", "Token file reloads",
                                        "result=\"ok\""), 1);
}

static dfa_http_options http_options(const dfa_config *cfg)
{
    dfa_http_options o = dfa_http_options_of(cfg, "gateway");
    o.name = "dfa-gateway";
    o.max_body_memory = (size_t)dfa_config_int(cfg, "gateway.max_body_memory");
    return o;
}

static dfa_status add_routes(dfa_http_server *srv, gateway *gw, dfa_error *err)
{
    dfa_status st = dfa_http_route(srv, "POST", "/v1/events",
                                   &(dfa_http_route_spec){.max_body = (size_t)dfa_config_int(gw->cfg, "gateway.max_body_bytes"),
                                                          .check = check_events, .handle = handle_events, .ctx = gw},
                                   err);
    if (st == DFA_OK)
        st = dfa_http_route(srv, "GET", "/healthz", &(dfa_http_route_spec){.handle = handle_health, .ctx = gw}, err);
    if (st == DFA_OK)
        st = dfa_http_route(srv, "GET", "/v1/catalog", &(dfa_http_route_spec){.handle = handle_catalog, .ctx = gw}, err);
    if (st == DFA_OK)
        st = dfa_http_route(srv, "GET", "/v1/whoami", &(dfa_http_route_spec){.handle = handle_whoami, .ctx = gw}, err);
    if (st == DFA_OK)
        st = dfa_http_serve_metrics(srv, "/metrics", err);
    if (st == DFA_OK)
        st = dfa_http_serve_files(srv, dfa_www_files, dfa_www_count, err);
    return st;
}

static void make_metrics(gateway *gw)
{
    static const char *const help = "Events of POST /v1/events, by outcome";
    gw->accepted = dfa_metrics_counter(gw->metrics, "dfa_gateway_events_total", help, "outcome=\"accepted\"");
    gw->rejected = dfa_metrics_counter(gw->metrics, "dfa_gateway_events_total", help, "outcome=\"rejected\"");
    gw->forbidden = dfa_metrics_counter(gw->metrics, "dfa_gateway_events_total", help, "outcome=\"forbidden\"");
    gw->failed = dfa_metrics_counter(gw->metrics, "dfa_gateway_events_total", help, "outcome=\"failed\"");
    static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    gw->delivery = dfa_metrics_histogram(gw->metrics, "dfa_gateway_delivery_seconds",
                                         "From a request's first event handed to Kafka to its last delivery report", "",
                                         bounds, sizeof bounds / sizeof bounds[0]);
}

static bool write_address(const char *path, const dfa_http_server *srv)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
    fprintf(f, "%s://127.0.0.1:%u\n", dfa_http_is_tls(srv) ? "https" : "http", dfa_http_port(srv));
    return fclose(f) == 0 && rename(tmp, path) == 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dfa-gateway [--address-file FILE] [--config FILE] [--set key=value]...\n"
                 "  Serves POST /v1/events, GET /v1/catalog, GET /v1/whoami, GET /healthz, GET /metrics\n"
                 "  and the department's page on gateway.listen.\n"
                 "  --address-file  once listening, write the service's URL there\n"
                 "  SIGHUP reloads gateway.tokens; SIGTERM stops after answering what is in flight.\n");
}

/* Signals are taken by the main thread alone (sigwait): blocked before any thread starts. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int serve(gateway *gw, const char *address_file, const sigset_t *signals)
{
    dfa_error err = {0};
    dfa_http_options o = http_options(gw->cfg);
    dfa_http_server *srv = NULL;
    if (dfa_http_server_new(&o, gw->metrics, &srv, &err) != DFA_OK || add_routes(srv, gw, &err) != DFA_OK ||
        dfa_http_start(srv, &err) != DFA_OK) {
        fprintf(stderr, "dfa-gateway: %s\n", err.msg);
        dfa_http_server_free(srv);
        return 2;
    }
    dfa_log(DFA_LOG_INFO, "listening", "address=%s port=%u tls=%d tokens=%zu files=%zu", o.listen, dfa_http_port(srv),
            (int)dfa_http_is_tls(srv), dfa_tokens_count(gw->tokens), dfa_www_count);
    if (address_file && !write_address(address_file, srv)) {
        fprintf(stderr, "dfa-gateway: %s: cannot write: %s\n", address_file, strerror(errno));
        dfa_http_server_free(srv);
        return 2;
    }
    for (;;) {
        int sig = 0;
        sigwait(signals, &sig);
        if (sig != SIGHUP)
            break;
        reload_tokens(gw);
    }
    dfa_log(DFA_LOG_INFO, "stopping", "in_flight=answered_first");
    dfa_http_server_free(srv); /* waits for the deferred answers, which the publisher's thread still gives */
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"address-file", required_argument, 0, 'a'}, DFA_CONFIG_LONG_OPTIONS,
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    dfa_config_args args = {0};
    const char *address_file = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'a')
            address_file = optarg;
        else if (c == 'h')
            return usage(stdout), 0;
        else if (!dfa_config_args_take(&args, c, optarg))
            return usage(stderr), 2;
    }
    sigset_t signals;
    block_signals(&signals);
    gateway gw = {0};
    if (!(gw.cfg = dfa_config_startup("dfa-gateway", &args, environ, &gw.core)))
        return 2;
    dfa_log_init("dfa-gateway", dfa_config_str(gw.cfg, "log.level"));
    pthread_mutex_init(&gw.tokens_lock, NULL);
    gw.tokens_path = dfa_config_str(gw.cfg, "gateway.tokens");
    gw.max_events = (size_t)dfa_config_int(gw.cfg, "gateway.max_events");
    dfa_error err = {0};
    int status = 2;
    if (!*gw.tokens_path) {
        fprintf(stderr, "dfa-gateway: gateway.tokens: not set (the token file dfa-token writes)\n");
    } else if (dfa_tokens_load(gw.tokens_path, gw.core, &gw.tokens, &err) != DFA_OK ||
               dfa_gateway_catalog_load(dfa_config_str(gw.cfg, "catalog"), &gw.catalog, &err) != DFA_OK ||
               dfa_publisher_new(gw.cfg, on_delivery, &gw.pub, &err) != DFA_OK) {
        fprintf(stderr, "dfa-gateway: %s\n", err.msg);
    } else if (!(gw.metrics = dfa_metrics_new()) ||
               !(gw.rate = dfa_ratelimit_new((double)dfa_config_int(gw.cfg, "gateway.rate_per_s"),
                                             (double)dfa_config_int(gw.cfg, "gateway.rate_burst")))) {
        fprintf(stderr, "dfa-gateway: out of memory\n");
    } else {
        make_metrics(&gw);
        status = serve(&gw, address_file, &signals);
    }
    dfa_publisher_free(gw.pub, 10000);
    dfa_ratelimit_free(gw.rate);
    dfa_metrics_free(gw.metrics);
    dfa_tokens_unref(gw.tokens);
    dfa_gateway_catalog_free(gw.catalog);
    pthread_mutex_destroy(&gw.tokens_lock);
    dfa_core_free(gw.core);
    dfa_config_free(gw.cfg);
    return status;
}
