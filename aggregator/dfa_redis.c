#include "dfa_redis.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_log.h"

/* Forgets the ids of one province older than the dedupe window, from the
 * seen set and their fingerprints, a bounded number per call. Run inside the
 * batch's transaction. KEYS: seen, fp; ARGV: cutoff_ms. */
static const char expire_script[] =
    "local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)\n"
    "if #old > 0 then\n"
    "  redis.call('ZREM', KEYS[1], unpack(old))\n"
    "  redis.call('HDEL', KEYS[2], unpack(old))\n"
    "end\n"
    "return #old\n";

struct dfa_redis {
    char host[256], user[128], password[256];
    int port, timeout_ms;
    redisContext *ctx;
    int backoff_ms;
    uint64_t round_trips, connections;
};

const char *dfa_redis_expire_source(void) { return expire_script; }
uint64_t dfa_redis_connection_id(const dfa_redis *r) { return r->ctx ? r->connections : 0; }
uint64_t dfa_redis_round_trips(const dfa_redis *r) { return r->round_trips; }

dfa_status dfa_redis_new(const dfa_config *cfg, dfa_redis **out, dfa_error *err)
{
    dfa_redis *r = calloc(1, sizeof *r);
    if (!r)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(r->host, sizeof r->host, "%s", dfa_config_str(cfg, "redis.host"));
    snprintf(r->user, sizeof r->user, "%s", dfa_config_str(cfg, "redis.user"));
    snprintf(r->password, sizeof r->password, "%s", dfa_config_str(cfg, "redis.password"));
    r->port = (int)dfa_config_int(cfg, "redis.port");
    r->timeout_ms = (int)dfa_config_int(cfg, "redis.timeout_ms");
    *out = r;
    return DFA_OK;
}

static void drop(dfa_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void dfa_redis_reset(dfa_redis *r) { drop(r); }

void dfa_redis_free(dfa_redis *r)
{
    if (!r)
        return;
    drop(r);
    free(r);
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

dfa_status dfa_redis_send(dfa_redis *r, const dfa_redis_cmd *cmds, size_t n, dfa_error *err)
{
    dfa_status st = dfa_redis_connect(r, err);
    if (st != DFA_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (redisAppendCommandArgv(r->ctx, cmds[i].argc, cmds[i].argv, cmds[i].argvlen) != REDIS_OK)
            return broken(r, err);
    int done = 0;
    while (!done)
        if (redisBufferWrite(r->ctx, &done) != REDIS_OK)
            return broken(r, err);
    r->round_trips++;
    return DFA_OK;
}

dfa_status dfa_redis_receive(dfa_redis *r, redisReply **replies, size_t n, dfa_error *err)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
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

dfa_status dfa_redis_pipeline(dfa_redis *r, const dfa_redis_cmd *cmds, size_t n, redisReply **replies, dfa_error *err)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    dfa_status st = dfa_redis_send(r, cmds, n, err);
    return st == DFA_OK ? dfa_redis_receive(r, replies, n, err) : st;
}
