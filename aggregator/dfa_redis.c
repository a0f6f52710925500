#include "dfa_redis.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_log.h"

/* Applies one province's share of a batch atomically (docs/exactly-once.md).
 * KEYS[1] = dfa:{p:CC}:seen; every other key shares its hash tag.
 * ARGV: now_ms, cutoff_ms,
 *       n_markers, then n x (field, expected, new)     -- offset markers, compare-and-set
 *       n_members, then n x member                     -- must be absent from seen; then added
 *       n_prints,  then n x (event_id, fingerprint)
 *       n_months,  then n x month bucket               -- registry readers use for stocks
 *       n_gauges,  then n x gauge key                  -- registry readers use for gauges
 *       n_keys,    then per key: suffix, n_fields, n x (field, amount)
 * Returns {"ok"}, or {"stale", field, current} / {"seen", member} without writing. */
static const char apply_script[] =
    "local seen = KEYS[1]\n"
    "local prefix = string.sub(seen, 1, -5)\n"
    "local offsets, prints = prefix .. 'off', prefix .. 'fp'\n"
    "local i = 3\n"
    "local n_markers = tonumber(ARGV[i])\n"
    "for j = 1, n_markers do\n"
    "  local cur = redis.call('HGET', offsets, ARGV[i + 3*j - 2]) or '-1'\n"
    "  if cur ~= ARGV[i + 3*j - 1] then return {'stale', ARGV[i + 3*j - 2], cur} end\n"
    "end\n"
    "local markers_at = i\n"
    "i = i + 3*n_markers + 1\n"
    "local n_members = tonumber(ARGV[i])\n"
    "for j = 1, n_members do\n"
    "  if redis.call('ZSCORE', seen, ARGV[i + j]) then return {'seen', ARGV[i + j]} end\n"
    "end\n"
    "for j = 1, n_members do redis.call('ZADD', seen, ARGV[1], ARGV[i + j]) end\n"
    "i = i + n_members + 1\n"
    "local n_prints = tonumber(ARGV[i])\n"
    "for j = 1, n_prints do redis.call('HSET', prints, ARGV[i + 2*j - 1], ARGV[i + 2*j]) end\n"
    "i = i + 2*n_prints + 1\n"
    "for _, registry in ipairs({'months', 'gauges'}) do\n"
    "  local n = tonumber(ARGV[i])\n"
    "  for j = 1, n do redis.call('SADD', prefix .. registry, ARGV[i + j]) end\n"
    "  i = i + n + 1\n"
    "end\n"
    "local n_keys = tonumber(ARGV[i])\n"
    "i = i + 1\n"
    "for k = 1, n_keys do\n"
    "  local key, n = prefix .. ARGV[i], tonumber(ARGV[i + 1])\n"
    "  i = i + 2\n"
    "  for j = 0, n - 1 do\n"
    "    local field = ARGV[i + 2*j]\n"
    "    if redis.call('HINCRBY', key, field, ARGV[i + 2*j + 1]) == 0 then redis.call('HDEL', key, field) end\n"
    "  end\n"
    "  i = i + 2*n\n"
    "end\n"
    "for j = 1, n_markers do\n"
    "  redis.call('HSET', offsets, ARGV[markers_at + 3*j - 2], ARGV[markers_at + 3*j])\n"
    "end\n"
    "local old = redis.call('ZRANGEBYSCORE', seen, '-inf', ARGV[2], 'LIMIT', 0, 500)\n"
    "if #old > 0 then\n"
    "  redis.call('ZREM', seen, unpack(old))\n"
    "  redis.call('HDEL', prints, unpack(old))\n"
    "end\n"
    "return {'ok'}\n";

struct dfa_redis {
    char host[256], user[128], password[256];
    int port, timeout_ms;
    redisContext *ctx;
    char sha[41];
    int backoff_ms;
    uint64_t round_trips;
};

const char *dfa_redis_apply_source(void) { return apply_script; }
const char *dfa_redis_apply_sha(const dfa_redis *r) { return r->sha; }
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

static dfa_status authenticate_and_load(dfa_redis *r, dfa_error *err)
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
    const char *argv[3] = {"SCRIPT", "LOAD", apply_script};
    redisReply *rep = command_argv(r, 3, argv);
    if (!rep || rep->type != REDIS_REPLY_STRING || rep->len != 40) {
        dfa_status st = dfa_fail(err, DFA_ERR_IO, "redis %s:%d: SCRIPT LOAD failed: %s", r->host, r->port,
                                 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
        freeReplyObject(rep);
        return st;
    }
    memcpy(r->sha, rep->str, 41);
    freeReplyObject(rep);
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
        st = authenticate_and_load(r, err);
    }
    if (st != DFA_OK) {
        drop(r);
        r->backoff_ms = r->backoff_ms ? (r->backoff_ms * 2 > 5000 ? 5000 : r->backoff_ms * 2) : 100;
        return st;
    }
    if (r->backoff_ms)
        dfa_log(DFA_LOG_INFO, "redis_reconnected", "host=%s port=%d", r->host, r->port);
    r->backoff_ms = 0;
    return DFA_OK;
}

dfa_status dfa_redis_pipeline(dfa_redis *r, const dfa_redis_cmd *cmds, size_t n, redisReply **replies, dfa_error *err)
{
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    dfa_status st = dfa_redis_connect(r, err);
    if (st != DFA_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (redisAppendCommandArgv(r->ctx, cmds[i].argc, cmds[i].argv, cmds[i].argvlen) != REDIS_OK)
            goto broken;
    r->round_trips++;
    for (size_t i = 0; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(r->ctx, &reply) != REDIS_OK)
            goto broken;
        replies[i] = reply;
    }
    return DFA_OK;
broken:
    st = dfa_fail(err, DFA_ERR_IO, "redis %s:%d: %s", r->host, r->port, r->ctx->errstr[0] ? r->ctx->errstr : "connection lost");
    for (size_t i = 0; i < n; i++) {
        freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    drop(r);
    r->backoff_ms = 100;
    return st;
}
