/* dfa_redis: the consumer's connection to Redis: connect with AUTH, send
 * pipelines, and come back after an outage.
 *
 * Any connection error closes the context; the next call reconnects, with a
 * backoff that grows to a few seconds, so a daemon rides out a Redis restart
 * without busy-looping. Round trips are counted for the stats. */
#ifndef DFA_REDIS_H
#define DFA_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_redis dfa_redis;

/* One command of a pipeline: argc arguments with their lengths (borrowed). */
typedef struct {
    int argc;
    const char **argv;
    const size_t *argvlen;
} dfa_redis_cmd;

/* Reads redis.* from cfg (copied). Does not connect yet. */
dfa_status dfa_redis_new(const dfa_config *cfg, dfa_redis **out, dfa_error *err);
void dfa_redis_free(dfa_redis *r);

/* Connects now if not connected (with backoff after a failure). */
dfa_status dfa_redis_connect(dfa_redis *r, dfa_error *err);

/* Sends n commands in one round trip and reads n replies into replies[]
 * (the caller frees each with freeReplyObject). On a connection error every
 * reply is NULL, the connection is dropped, and DFA_ERR_IO is returned; an
 * error reply to one command is not a connection error. */
dfa_status dfa_redis_pipeline(dfa_redis *r, const dfa_redis_cmd *cmds, size_t n, redisReply **replies, dfa_error *err);

/* The two halves of a pipeline, for a caller with work to do while Redis
 * runs the commands: send writes them all; receive reads exactly n replies
 * (the caller frees them). Either fails like dfa_redis_pipeline. */
dfa_status dfa_redis_send(dfa_redis *r, const dfa_redis_cmd *cmds, size_t n, dfa_error *err);
dfa_status dfa_redis_receive(dfa_redis *r, redisReply **replies, size_t n, dfa_error *err);

/* Drops the connection so the next call reconnects. */
void dfa_redis_reset(dfa_redis *r);

/* Which connection is open: a new number after each reconnect, 0 when none.
 * A WATCH holds only on the connection that sent it. */
uint64_t dfa_redis_connection_id(const dfa_redis *r);

/* The Lua source that forgets ids older than the dedupe window (KEYS: seen,
 * fp; ARGV: cutoff_ms), for EVAL inside the batch's transaction. */
const char *dfa_redis_expire_source(void);

uint64_t dfa_redis_round_trips(const dfa_redis *r);

#endif
