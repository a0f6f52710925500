#include "dfa_redis.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_cluster.h"
#include "dfa_log.h"

struct dfa_redis {
    char host[256], user[128], password[256];
    int port, timeout_ms;
    redisContext *ctx;
    int backoff_ms;
    uint64_t round_trips, connections;
    dfa_cluster *cluster; /* a Redis Cluster: calls are routed through it, and host and port say nothing */
};

uint64_t dfa_redis_connection_id(const dfa_redis *r)
{
    if (r->cluster)
        return dfa_cluster_refreshes(r->cluster);
    return r->ctx ? r->connections : 0;
}

uint64_t dfa_redis_round_trips(const dfa_redis *r)
{
    return r->cluster ? dfa_cluster_round_trips(r->cluster) : r->round_trips;
}

/* What a cluster handle cannot do: send without waiting, on no one node. */
static dfa_status not_on_cluster(dfa_error *err)
{
    return dfa_fail(err, DFA_ERR_IO, "redis cluster: a pipeline sent ahead of its replies needs one node's "
                                     "connection (dfa_redis_open_for_key)");
}

dfa_status dfa_redis_new_at(const char *host, int port, const char *user, const char *password, int timeout_ms,
                           dfa_redis **out, dfa_error *err)
{
    dfa_redis *r = calloc(1, sizeof *r);
    if (!r)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(r->host, sizeof r->host, "%s", host);
    snprintf(r->user, sizeof r->user, "%s", user ? user : "");
    snprintf(r->password, sizeof r->password, "%s", password ? password : "");
    r->port = port;
    r->timeout_ms = timeout_ms;
    *out = r;
    return DFA_OK;
}

dfa_status dfa_redis_new(const dfa_config *cfg, dfa_redis **out, dfa_error *err)
{
    dfa_status st = dfa_redis_new_at(dfa_config_str(cfg, "redis.host"), (int)dfa_config_int(cfg, "redis.port"),
                                     dfa_config_str(cfg, "redis.user"), dfa_config_str(cfg, "redis.password"),
                                     (int)dfa_config_int(cfg, "redis.timeout_ms"), out, err);
    const char *seeds = dfa_config_str(cfg, "redis.cluster_seeds");
    if (st == DFA_OK && *seeds && (st = dfa_cluster_new(seeds, cfg, &(*out)->cluster, err)) != DFA_OK) {
        dfa_redis_free(*out);
        *out = NULL;
    }
    return st;
}

static void drop(dfa_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void dfa_redis_free(dfa_redis *r)
{
    if (!r)
        return;
    drop(r);
    dfa_cluster_free(r->cluster);
    free(r);
}

dfa_status dfa_redis_open_for_key(dfa_redis *r, const char *key, dfa_redis **out, dfa_error *err)
{
    *out = NULL;
    if (!r->cluster)
        return dfa_redis_new_at(r->host, r->port, r->user, r->password, r->timeout_ms, out, err);
    dfa_status st = dfa_redis_connect(r, err);
    if (st != DFA_OK)
        return st;
    const dfa_cluster_master *m = dfa_cluster_master_for_key(r->cluster, key, strlen(key));
    if (!m)
        return dfa_fail(err, DFA_ERR_IO, "redis cluster: no master serves the slot of %s", key);
    return dfa_redis_new_at(m->host, m->port, r->user, r->password, r->timeout_ms, out, err);
}

bool dfa_redis_still_serves(const dfa_redis *r, const dfa_redis *conn, const char *key)
{
    if (!r->cluster)
        return true;
    const dfa_cluster_master *m = dfa_cluster_master_for_key(r->cluster, key, strlen(key));
    return m && m->port == conn->port && strcmp(m->host, conn->host) == 0;
}

bool dfa_redis_reroute(dfa_redis *r, const char *error)
{
    if (!r->cluster)
        return false;
    dfa_cluster_reroute(r->cluster, error);
    return true;
}

bool dfa_redis_is_redirection(const char *error)
{
    return dfa_cluster_classify(error, NULL) != DFA_CLUSTER_OTHER;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs one command on a fresh connection; the reply is checked by the caller. */
static redisReply *command_argv(dfa_redis *r, int argc, const char **argv)
{
    r->round_trips++;
    return redisCommandArgv(r->ctx, argc, argv, NULL);
}

static dfa_status authenticate(dfa_redis *r, dfa_error *err)
{
    if (*r->password) {
        const char *argv[3] = {"AUTH", *r->user ? r->user : r->password, r->password};
        redisReply *rep = command_argv(r, *r->user ? 3 : 2, argv);
        bool ok = rep && rep->type == REDIS_REPLY_STATUS;
        char why[128];
        snprintf(why, sizeof why, "%s", rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
        freeReplyObject(rep);
        if (!ok)
            return dfa_fail(err, DFA_ERR_IO, "redis %s:%d: AUTH failed: %s", r->host, r->port, why);
    }
    return DFA_OK;
}

dfa_status dfa_redis_connect(dfa_redis *r, dfa_error *err)
{
    if (r->cluster)
        return dfa_cluster_master_count(r->cluster) ? DFA_OK : dfa_cluster_refresh(r->cluster, err);
    if (r->ctx)
        return DFA_OK;
    if (r->backoff_ms)
        sleep_ms(r->backoff_ms);
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    dfa_status st;
    if (!r->ctx || r->ctx->err) {
        st = dfa_fail(err, DFA_ERR_IO, "redis %s:%d: %s", r->host, r->port, r->ctx ? r->ctx->errstr : "cannot allocate");
    } else {
        redisSetTimeout(r->ctx, tv);
        st = authenticate(r, err);
    }
    if (st != DFA_OK) {
        drop(r);
        r->backoff_ms = r->backoff_ms ? (r->backoff_ms * 2 > 5000 ? 5000 : r->backoff_ms * 2) : 100;
        return st;
    }
    r->connections++;
    if (r->backoff_ms)
        dfa_log(DFA_LOG_INFO, "redis_reconnected", "host=%s port=%d", r->host, r->port);
    r->backoff_ms = 0;
    return DFA_OK;
}

static dfa_status broken(dfa_redis *r, dfa_error *err)
{
    dfa_status st = dfa_fail(err, DFA_ERR_IO, "redis %s:%d: %s", r->host, r->port,
                             r->ctx && r->ctx->errstr[0] ? r->ctx->errstr : "connection lost");
    drop(r);
    r->backoff_ms = 100;
    return st;
}

/* Writes what hiredis holds for the server, all of it: one round trip. */
static dfa_status flush_output(dfa_redis *r, dfa_error *err)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(r->ctx, &done) != REDIS_OK)
            return broken(r, err);
    r->round_trips++;
    return DFA_OK;
}

dfa_status dfa_redis_send_resp(dfa_redis *r, const dfa_resp *cmds, dfa_error *err)
{
    size_t len;
    const char *data = dfa_resp_data(cmds, &len);
    if (r->cluster)
        return not_on_cluster(err);
    if (dfa_resp_failed(cmds))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = dfa_redis_connect(r, err);
    if (st != DFA_OK)
        return st;
    if (len > 0 && redisAppendFormattedCommand(r->ctx, data, len) != REDIS_OK)
        return broken(r, err);
    return flush_output(r, err);
}

dfa_status dfa_redis_receive(dfa_redis *r, redisReply **replies, size_t n, dfa_error *err)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    if (r->cluster)
        return not_on_cluster(err);
    for (size_t i = 0; i < n; i++) {
        void *reply = NULL;
        if (!r->ctx || redisGetReply(r->ctx, &reply) != REDIS_OK) {
            for (size_t k = 0; k < i; k++) {
                freeReplyObject(replies[k]);
                replies[k] = NULL;
            }
            return broken(r, err);
        }
        replies[i] = reply;
    }
    return DFA_OK;
}

/* Reply "objects" while tallying: one shared address stands for every reply,
 * and only what dfa_redis_tally keeps is recorded. */
static char tally_object;

typedef struct {
    dfa_redis_tally *t;
    size_t reply; /* index of the reply being read */
} tally_ctx;

static void *tally_note(const redisReadTask *task, int type, const char *str, size_t len, size_t elements)
{
    tally_ctx *c = task->privdata;
    dfa_redis_tally *t = c->t;
    if (type == REDIS_REPLY_ERROR && t->errors++ == 0) {
        t->first_error_reply = c->reply;
        t->first_error_element = task->parent ? task->idx : -1;
        snprintf(t->first_error, sizeof t->first_error, "%.*s", (int)len, str);
    }
    if (!task->parent) {
        t->last_type = type;
        t->last_elements = elements;
    }
    return &tally_object;
}

static void *tally_string(const redisReadTask *task, char *str, size_t len) { return tally_note(task, task->type, str, len, 0); }
static void *tally_array(const redisReadTask *task, int elements) { return tally_note(task, REDIS_REPLY_ARRAY, NULL, 0, elements > 0 ? (size_t)elements : 0); }
static void *tally_integer(const redisReadTask *task, long long v) { (void)v; return tally_note(task, REDIS_REPLY_INTEGER, NULL, 0, 0); }
static void *tally_nil(const redisReadTask *task) { return tally_note(task, REDIS_REPLY_NIL, NULL, 0, 0); }
static void tally_free(void *obj) { (void)obj; }

static redisReplyObjectFunctions tally_functions = {tally_string, tally_array, tally_integer, tally_nil, tally_free};

dfa_status dfa_redis_receive_tally(dfa_redis *r, size_t n, dfa_redis_tally *t, dfa_error *err)
{
    memset(t, 0, sizeof *t);
    if (r->cluster)
        return not_on_cluster(err);
    if (!r->ctx)
        return broken(r, err);
    redisReader *reader = r->ctx->reader;
    redisReplyObjectFunctions *saved_fn = reader->fn;
    void *saved_priv = reader->privdata;
    tally_ctx c = {t, 0};
    reader->fn = &tally_functions;
    reader->privdata = &c;
    for (; c.reply < n; c.reply++) {
        void *reply = NULL;
        if (redisGetReply(r->ctx, &reply) != REDIS_OK)
            return broken(r, err); /* frees the reader while it still holds tally objects */
    }
    reader->fn = saved_fn;
    reader->privdata = saved_priv;
    return DFA_OK;
}

dfa_status dfa_redis_scan(dfa_redis *r, const char *match, dfa_redis_key_fn fn, void *ctx, dfa_error *err)
{
    if (r->cluster)
        return dfa_cluster_scan(r->cluster, match, fn, ctx, err);
    char cursor[32] = "0";
    dfa_status st = DFA_OK;
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", "10000"};
        redisReply *page = NULL;
        st = dfa_redis_call(r, argv, 6, &page, err);
        if (st == DFA_OK && (page->type != REDIS_REPLY_ARRAY || page->elements != 2 ||
                             page->element[0]->type != REDIS_REPLY_STRING || page->element[1]->type != REDIS_REPLY_ARRAY))
            st = dfa_fail(err, DFA_ERR_IO, "redis: SCAN: %s", page->type == REDIS_REPLY_ERROR ? page->str : "unexpected reply");
        if (st == DFA_OK) {
            snprintf(cursor, sizeof cursor, "%s", page->element[0]->str);
            const redisReply *keys = page->element[1];
            for (size_t i = 0; st == DFA_OK && i < keys->elements; i++)
                st = fn(ctx, keys->element[i]->str, err);
        }
        freeReplyObject(page);
    } while (st == DFA_OK && strcmp(cursor, "0") != 0);
    return st;
}

dfa_status dfa_redis_run(dfa_redis *r, const dfa_resp *cmds, redisReply **replies, dfa_error *err)
{
    if (r->cluster)
        return dfa_cluster_run(r->cluster, cmds, replies, err);
    size_t n = dfa_resp_commands(cmds);
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    dfa_status st = dfa_redis_send_resp(r, cmds, err);
    return st == DFA_OK ? dfa_redis_receive(r, replies, n, err) : st;
}

dfa_status dfa_redis_call(dfa_redis *r, const char *const *argv, size_t argc, redisReply **reply, dfa_error *err)
{
    *reply = NULL;
    if (r->cluster)
        return dfa_cluster_call(r->cluster, argv, argc, 1, reply, err);
    dfa_resp *b = dfa_resp_new();
    if (!b)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_resp_argv(b, argv, argc);
    dfa_status st = dfa_redis_run(r, b, reply, err);
    dfa_resp_free(b);
    return st;
}
