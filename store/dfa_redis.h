/* dfa_redis: a connection to Redis, for every program that reads or writes
 * it (the consumer, dfa-query, dfa-snapshot, dfa-dump): connect with AUTH,
 * send pipelines, and come back after an outage.
 *
 * With redis.cluster_seeds set, the handle dfa_redis_new makes stands for a
 * Redis Cluster: each command goes to the master of its key's slot, through
 * dfa_cluster (dfa_redis_run, dfa_redis_call: key = the first argument after
 * the name; dfa_redis_scan: every master). A pipeline sent ahead of its
 * replies needs one node: dfa_redis_open_for_key gives the connection of a
 * key's server, the same call on one server and on a cluster.
 *
 * Any connection error closes the context; the next call reconnects, with a
 * backoff that grows to a few seconds, so a daemon rides out a Redis restart
 * without busy-looping. Round trips are counted for the stats. */
#ifndef DFA_REDIS_H
#define DFA_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_error.h"
#include "dfa_resp.h"

typedef struct dfa_redis dfa_redis;

/* Reads redis.* from cfg (copied), a cluster when redis.cluster_seeds is
 * set. Does not connect yet. */
dfa_status dfa_redis_new(const dfa_config *cfg, dfa_redis **out, dfa_error *err);
/* The same with the address and credentials given (copied; user and password
 * may be NULL or "" for none): for the nodes of a cluster (dfa_cluster.h),
 * whose addresses come from the cluster, not from the config. */
dfa_status dfa_redis_new_at(const char *host, int port, const char *user, const char *password, int timeout_ms,
                           dfa_redis **out, dfa_error *err);
void dfa_redis_free(dfa_redis *r);

/* A connection of its own to the server of key (key borrowed), with r's
 * credentials, not connected yet: on one server a second connection to it;
 * on a cluster, to the master of key's slot in the current map (read first
 * if there is none; DFA_ERR_IO when no master serves the slot). For a caller
 * whose WATCH and transaction must share one connection. *out belongs to the
 * caller (dfa_redis_free). */
dfa_status dfa_redis_open_for_key(dfa_redis *r, const char *key, dfa_redis **out, dfa_error *err);

/* Whether conn, opened for key, still reaches the server of key: always on
 * one server; on a cluster, false once a refresh moved key's slot. */
bool dfa_redis_still_serves(const dfa_redis *r, const dfa_redis *conn, const char *key);

/* After a redirection (an error reply that dfa_redis_is_redirection finds:
 * error, borrowed) or a lost connection (error NULL) on a connection opened
 * for a key: whether another route may exist. On one server, false: there is
 * none, the failure stands. On a cluster, true, after waiting 100 ms (unless
 * MOVED) and reading the slot map again (dfa_cluster_reroute): look the
 * route up again (dfa_redis_still_serves) and redo from the start. */
bool dfa_redis_reroute(dfa_redis *r, const char *error);

/* Whether an error reply's text is a cluster redirection (MOVED, ASK,
 * TRYAGAIN, CLUSTERDOWN): the command, or the transaction it belongs to,
 * was not run. */
bool dfa_redis_is_redirection(const char *error);

/* Connects now if not connected (with backoff after a failure); on a
 * cluster, reads the slot map if none was read yet. */
dfa_status dfa_redis_connect(dfa_redis *r, dfa_error *err);

/* Every command of the pipeline is written with dfa_resp (one way for all).
 * Sends the commands of cmds (borrowed) in one round trip and reads one reply
 * per command into replies[] (dfa_resp_commands(cmds) of them; the caller
 * frees each with freeReplyObject). On a connection error every reply is
 * NULL, the connection is dropped, and DFA_ERR_IO is returned; an error reply
 * to one command is not a connection error. */
dfa_status dfa_redis_run(dfa_redis *r, const dfa_resp *cmds, redisReply **replies, dfa_error *err);

/* One command of argc NUL-terminated arguments, for occasional calls: the
 * same as dfa_redis_run with one command. *reply belongs to the caller. */
dfa_status dfa_redis_call(dfa_redis *r, const char *const *argv, size_t argc, redisReply **reply, dfa_error *err);

/* Sends the commands written in cmds (borrowed) in one round trip, without
 * waiting: their replies are owed, and read with dfa_redis_receive_tally.
 * This and the two receives work on one server's connection only (on a
 * cluster handle: DFA_ERR_IO; use dfa_redis_open_for_key). */
dfa_status dfa_redis_send_resp(dfa_redis *r, const dfa_resp *cmds, dfa_error *err);

/* What n replies said, read without building reply objects: for long
 * pipelines whose replies matter only as "no error" and by the last one. */
typedef struct {
    size_t errors;             /* error replies, at any depth */
    size_t first_error_reply;  /* which reply (0-based) held the first error */
    long first_error_element;  /* its index inside that reply's array; -1: the reply itself */
    char first_error[256];     /* its message */
    int last_type;             /* REDIS_REPLY_* of the last reply */
    size_t last_elements;      /* its length when an array */
} dfa_redis_tally;

/* Reads exactly n replies owed after dfa_redis_send_resp into replies[] (the
 * caller frees each); fails like dfa_redis_run. */
dfa_status dfa_redis_receive(dfa_redis *r, redisReply **replies, size_t n, dfa_error *err);

/* Reads exactly n replies into *t; fails like dfa_redis_run. */
dfa_status dfa_redis_receive_tally(dfa_redis *r, size_t n, dfa_redis_tally *t, dfa_error *err);

/* Calls fn(ctx, key) for every key matching the glob `match`, walking the
 * keyspace with SCAN until its cursor comes back to 0 (KEYS is denied to the
 * pipeline's ACL user). A key may come twice if the keyspace changes meanwhile.
 * Stops at fn's first failure and returns it. */
typedef dfa_status (*dfa_redis_key_fn)(void *ctx, const char *key, dfa_error *err);
dfa_status dfa_redis_scan(dfa_redis *r, const char *match, dfa_redis_key_fn fn, void *ctx, dfa_error *err);

/* Which connection is open: a new number after each reconnect, 0 when none.
 * A WATCH holds only on the connection that sent it. (A cluster handle: how
 * many slot maps it read.) */
uint64_t dfa_redis_connection_id(const dfa_redis *r);

uint64_t dfa_redis_round_trips(const dfa_redis *r);

#endif
