/* dfa_applier: applies a batch of consumed events to Redis exactly once
 * (docs/exactly-once.md).
 *
 * It knows nothing of Kafka beyond (topic, partition, offset, timestamp): its
 * caller (dfa_batch, which owns the messages) hands it items, it decides each one's outcome against what Redis
 * already holds (offset markers, what is remembered of each id, the current
 * value of every counter the batch touches), merges the deltas, and writes
 * the resulting values atomically with each province's offset markers: one
 * transaction per province, on a connection of its own (its keys share one
 * hash tag, so they share one slot of a Redis Cluster). No command of a
 * transaction can fail on data: a counter that would leave the 64-bit range,
 * or a key of the wrong type, is found in the read. Two round trips per
 * batch when nothing interferes, whatever the number of provinces: the state
 * read under each province's WATCH, then the provinces' MULTI/EXEC, sent
 * together. The second can run while the caller prepares its next batch
 * (begin, then finish). */
#ifndef DFA_APPLIER_H
#define DFA_APPLIER_H

#include <stddef.h>
#include <stdint.h>

#include "dfa_core.h"
#include "dfa_error.h"
#include "dfa_event.h"
#include "dfa_redis.h"

typedef enum {
    DFA_OUTCOME_PENDING = 0,
    DFA_OUTCOME_COUNTED,           /* its deltas were applied */
    DFA_OUTCOME_RETRACTED,         /* a retraction that cancelled a counted event */
    DFA_OUTCOME_TOMBSTONE,         /* a retraction that came before its event: that event will count nothing */
    DFA_OUTCOME_CANCELLED,         /* an event whose retraction came first */
    DFA_OUTCOME_ALREADY_RETRACTED, /* a second retraction of the same event */
    DFA_OUTCOME_DUPLICATE,         /* its event_id is remembered for its province and day already */
    DFA_OUTCOME_REPLAYED,          /* its offset was already applied (restart, rebalance, stale consumer) */
    DFA_OUTCOME_DEAD_LETTER,       /* invalid, a retraction that does not match its event, a counter that would
                                      overflow, or an event older than the restatement horizon */
    DFA_OUTCOME__COUNT
} dfa_outcome;

typedef struct {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the message's Kafka timestamp (ms since the epoch); -1 when it has none */
    dfa_event *event;     /* NULL when the message was invalid; borrowed */
    dfa_outcome outcome;
    /* Set when the item is owed a dead letter: a static code such as "schema"
     * or "retraction_mismatch", and why in reason. Usually with
     * DFA_OUTCOME_DEAD_LETTER; with another outcome it is a notice about an
     * event that did count (or was cancelled): a retraction that came before
     * it carried another copy, and cancels nothing. */
    const char *code;
    char reason[DFA_ERROR_MSG_MAX];
    char print[17];                 /* the event's fingerprint, filled by the applier when it stages it */
} dfa_batch_item;

typedef struct dfa_applier dfa_applier;

/* Keeps redis and core (borrowed): redis names the server or the Redis
 * Cluster; each province gets a connection of its own to the server of its
 * keys (dfa_redis_open_for_key: on a cluster, its slot's master, opened again
 * when the slot moves), owned by the applier. On a cluster, a province whose
 * read or transaction is redirected (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) or
 * whose node is lost is redone alone from its read step once the slot map is
 * read again (dfa_redis_reroute), at most 30 times a batch.
 * max_keys bounds the counters one call may
 * hold in memory. horizon_years: events dated before 1 January of the year
 * horizon_years before their message's timestamp are dead-lettered
 * (outside_horizon); what is remembered of ids is kept that long and a year
 * more, then deleted. */
dfa_status dfa_applier_new(dfa_redis *redis, const dfa_core *core, size_t max_keys, int horizon_years,
                           dfa_applier **out, dfa_error *err);
void dfa_applier_free(dfa_applier *a);

/* With replicas: after each province's transaction, wait until n replicas
 * hold it (WAIT, at most timeout_ms); a batch they do not all acknowledge
 * fails like an outage, so its offsets are not committed. 0 (the default):
 * no waiting. */
void dfa_applier_wait_replicas(dfa_applier *a, int n, int timeout_ms);

/* Applies items[0..n) consumed from topic, in order. Items with a NULL event
 * must already be DFA_OUTCOME_DEAD_LETTER. When the counters of the whole
 * batch would pass max_keys only a prefix is applied: *done says how many
 * items have their outcome; the rest are for the next call. On DFA_ERR_IO
 * (Redis unreachable, or a province stopped by a damaged key: the message
 * names the key, and nothing of that province was written) nothing is known
 * to be done; calling again with the same items is safe: what was applied is
 * recognised by the offset markers. */
dfa_status dfa_applier_apply(dfa_applier *a, const char *topic, dfa_batch_item *items, size_t n, size_t *done,
                             dfa_error *err);

/* The same in two halves, so the caller can poll and parse its next batch
 * while Redis runs this one's transaction. begin reads the state, decides and
 * sends the transaction without waiting for it; finish waits for it (reading,
 * deciding and sending again when another writer got in first) and says in
 * *done how many items have their outcome. Between the two the caller keeps
 * items[0..n) as they are (the array itself may move: it is passed again) and
 * sends nothing else on this Redis connection. A failed finish leaves nothing
 * in flight: begin again with the same items. */
dfa_status dfa_applier_begin(dfa_applier *a, const char *topic, dfa_batch_item *items, size_t n, dfa_error *err);
dfa_status dfa_applier_finish(dfa_applier *a, dfa_batch_item *items, size_t *done, dfa_error *err);

/* How many of begin's items the batch in flight took: fewer than n when
 * their counters would pass max_keys (the rest are for the next batch). */
size_t dfa_applier_taken(const dfa_applier *a);

/* Round trips to Redis so far: each read step and each transaction step is
 * one, however many provinces (each on its own connection) it serves. */
uint64_t dfa_applier_round_trips(const dfa_applier *a);
/* Province transactions refused by their WATCH fence (another writer moved
 * their markers), and rounds read and decided again because of one, so far. */
uint64_t dfa_applier_conflicts(const dfa_applier *a);
uint64_t dfa_applier_redos(const dfa_applier *a);

/* Staging: while a batch is in flight, the caller may hand the applier the
 * next batch's items as they are parsed, so their deltas are merged (as if
 * each will count) before that batch's begin instead of inside it, while
 * Redis runs the transaction. items[0..n) is the next batch so far: each
 * call stages the items not staged yet, up to max_keys. The next begin must
 * get the same items first (the array may move); after anything else, such
 * as dropping or parsing items again, the caller unstages. A failure leaves
 * nothing staged and stops staging until begin, which stages again and
 * reports it. */
dfa_status dfa_applier_stage(dfa_applier *a, dfa_batch_item *items, size_t n, dfa_error *err);
void dfa_applier_unstage(dfa_applier *a);

/* For tests: fn(ctx) runs in every round after the state was read and the
 * batch decided, just before its transaction is sent, so a test can write
 * in between like a concurrent consumer would. NULL removes it. */
typedef void (*dfa_applier_hook)(void *ctx);
void dfa_applier_set_before_send(dfa_applier *a, dfa_applier_hook fn, void *ctx);

#endif
