/* dfa_cluster: routing to a Redis Cluster (issue 14). hiredis 0.14 has no
 * cluster client, and none is packaged for Debian 12, so this is the small
 * part of one the pipeline needs: a key's slot, the slot map read with
 * CLUSTER SLOTS, one dfa_redis connection per master, what a redirection
 * error says, and the masters with their replicas (SCAN over every node, WAIT).
 *
 * Every key of a province carries the hash tag {p:CC} (dfa_keys.h), so a
 * province's keys share one slot and one master: a transaction of one
 * province is legal in a cluster. Programs reach it through dfa_redis
 * (redis.cluster_seeds), which hands its calls here on a cluster; the
 * consumer's applier opens each province a connection of its own to its
 * slot's master (docs/operations.md, "Redis Cluster").
 *
 * Connections are kept for the handle's life, across refreshes: a dfa_redis
 * handed out stays valid until dfa_cluster_free, even once its node serves
 * nothing (a WATCH lives on one connection, so a refresh must not close the
 * one a caller is using). Runtime errors never abort: dfa_status + dfa_error. */
#ifndef DFA_CLUSTER_H
#define DFA_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_error.h"
#include "dfa_redis.h"

#define DFA_CLUSTER_SLOTS 16384
/* How many redirections dfa_cluster_call follows before it gives up. */
#define DFA_CLUSTER_REDIRECTS_MAX 5

/* The key's slot, as Redis Cluster computes it: CRC16 (XMODEM) of its hash
 * tag, or of the whole key when it has none, mod 16384. len bytes of key. */
uint16_t dfa_cluster_slot(const char *key, size_t len);

/* What an error reply says about routing. */
typedef enum {
    DFA_CLUSTER_OTHER = 0,     /* not about routing (or malformed): the command's own error */
    DFA_CLUSTER_MOVED,         /* the slot has another master for good: refresh the map */
    DFA_CLUSTER_ASK,           /* this one command, ASKING first, to the node named: the slot is migrating */
    DFA_CLUSTER_TRYAGAIN,      /* a multi-key command during a migration: wait and redo */
    DFA_CLUSTER_CLUSTERDOWN,   /* the cluster is down or the slot unserved (a failover under way) */
} dfa_cluster_verdict;

typedef struct {
    dfa_cluster_verdict verdict;
    uint16_t slot;   /* MOVED and ASK */
    char host[256];  /* MOVED and ASK; "" when the server left it out: the host that replied */
    int port;        /* MOVED and ASK */
} dfa_cluster_redirect;

/* Classifies the text of an error reply (redisReply.str, borrowed), e.g.
 * "MOVED 3999 127.0.0.1:6381". Fills *out (may be NULL) and returns its verdict. */
dfa_cluster_verdict dfa_cluster_classify(const char *error, dfa_cluster_redirect *out);

typedef struct dfa_cluster dfa_cluster;

/* seeds: "host:port[,host:port...]" (copied), the nodes asked for the map
 * when none of the masters known answers. redis.user, redis.password and
 * redis.timeout_ms are read from cfg as dfa_redis_new reads them (copied),
 * and serve every node. Does not connect yet; DFA_ERR_CONFIG names a bad seed. */
dfa_status dfa_cluster_new(const char *seeds, const dfa_config *cfg, dfa_cluster **out, dfa_error *err);
/* The same with the credentials given (copied; NULL or "" for none). */
dfa_status dfa_cluster_new_at(const char *seeds, const char *user, const char *password, int timeout_ms,
                              dfa_cluster **out, dfa_error *err);
/* Closes every connection the handle made. */
void dfa_cluster_free(dfa_cluster *c);

/* Reads the slot map again with CLUSTER SLOTS, asking the masters known
 * (those connected first), then the seeds, until one answers. Call it first,
 * and after MOVED, TRYAGAIN, CLUSTERDOWN or a connection error (an ASK
 * changes no map). On failure (DFA_ERR_IO: no node answered with a map) the
 * previous map stays. */
dfa_status dfa_cluster_refresh(dfa_cluster *c, dfa_error *err);

/* How many maps have been read (successful refreshes): a caller that kept a
 * route can tell whether it was made from the current map. */
uint64_t dfa_cluster_refreshes(const dfa_cluster *c);

/* One master of the current map. Every field belongs to the handle: the
 * struct and its strings until the next refresh, redis until dfa_cluster_free. */
typedef struct {
    const char *host;
    int port;
    const char *id;    /* its node id (40 hex digits) */
    size_t slots;      /* how many slots it serves */
    size_t replicas;   /* its replicas as CLUSTER SLOTS lists them: not failed, and (Redis 7.0) known
                        * to have replicated something, so 0 on a cluster never written: what WAIT can count */
    dfa_redis *redis;  /* its connection */
} dfa_cluster_master;

/* The masters of the current map (0 before the first refresh), in the order
 * of their first slot: for SCAN over every node, and WAIT on each. */
size_t dfa_cluster_master_count(const dfa_cluster *c);
const dfa_cluster_master *dfa_cluster_master_at(const dfa_cluster *c, size_t i);

/* The master serving a slot or a key's slot in the current map (borrowed, as
 * above); NULL when no master serves it (no map yet, or an unassigned slot). */
const dfa_cluster_master *dfa_cluster_master_for_slot(const dfa_cluster *c, uint16_t slot);
const dfa_cluster_master *dfa_cluster_master_for_key(const dfa_cluster *c, const char *key, size_t len);
/* Just its connection (borrowed until dfa_cluster_free), or NULL as above. */
dfa_redis *dfa_cluster_redis_for_key(const dfa_cluster *c, const char *key, size_t len);

/* The connection to one node by address, made on first use (borrowed until
 * dfa_cluster_free): where an ASK points. host is copied. */
dfa_status dfa_cluster_node(dfa_cluster *c, const char *host, int port, dfa_redis **out, dfa_error *err);

/* One command about one key (argv[key_index]), sent to its slot's master.
 * MOVED refreshes the map (asking the node named first) and redoes it; ASK
 * sends ASKING and the command to the node named, leaving the map; TRYAGAIN
 * and CLUSTERDOWN wait 100 ms, refresh and redo: each of these means the
 * command was not run, so a redo runs it once. At most
 * DFA_CLUSTER_REDIRECTS_MAX of them, then DFA_ERR_IO. A connection error
 * refreshes the map for the next call but is returned, not redone: the
 * command may have run. Any other error reply is the command's own: DFA_OK
 * with it in *reply. *reply belongs to the caller (freeReplyObject). */
dfa_status dfa_cluster_call(dfa_cluster *c, const char *const *argv, size_t argc, size_t key_index,
                            redisReply **reply, dfa_error *err);

/* A pipeline of single-key commands (cmds, borrowed: each names its key
 * first after the command's name), each sent to its key's master: every
 * master's share in one round trip, all in parallel; replies[] gets one reply
 * per command in cmds' order, as dfa_redis_run. A redirected command (not
 * run) is sent again alone, following dfa_cluster_call's rules, so commands
 * must not depend on each other's order across keys. On a connection error
 * every reply is NULL and DFA_ERR_IO is returned (the map is refreshed for
 * the next call); a command that names no key is DFA_ERR_LIMIT. */
dfa_status dfa_cluster_run(dfa_cluster *c, const dfa_resp *cmds, redisReply **replies, dfa_error *err);

/* For a caller with a connection of its own to a master (a WATCH and its
 * transaction must stay on one): after an error reply `error` (borrowed)
 * that dfa_cluster_classify finds a redirection, or a lost connection
 * (NULL), waits 100 ms unless it was MOVED (a migration or a failover is
 * under way) and reads the map again. The caller then looks its route up
 * again and redoes its work from the start. A failed refresh keeps the map. */
void dfa_cluster_reroute(dfa_cluster *c, const char *error);

/* Round trips of dfa_cluster_run and dfa_cluster_call (and their redos). */
uint64_t dfa_cluster_round_trips(const dfa_cluster *c);

/* dfa_redis_scan on every master of the current map in turn (fn must not
 * refresh the handle): every key matching `match` once, unless a slot moves
 * meanwhile (then a key may come twice, or be missed: compare
 * dfa_cluster_refreshes before and after, and scan again if a refresh found
 * another map). */
dfa_status dfa_cluster_scan(dfa_cluster *c, const char *match, dfa_redis_key_fn fn, void *ctx, dfa_error *err);

#endif
