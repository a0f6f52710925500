/* dfa_batch: the messages a consumer has handed over and not yet committed,
 * from the moment it polls one to the moment it is settled (applied to Redis
 * with its outcome final), driving the applier (docs/exactly-once.md).
 *
 * The consumer polls, hands each message over (dfa_batch_take: it is
 * validated and its deltas staged at once, while Redis runs the batch in
 * flight), begins and finishes batches, then dead-letters the settled
 * messages that owe it (their code and reason) and commits them
 * (dfa_batch_release). It never sees a cursor: which messages wait, which are
 * in flight and which are settled is kept here. Nothing is begun while
 * settled messages wait for their release: a batch is committed before the
 * next one is sent. Kafka is not known here: a message's source is the
 * caller's, handed back as it was given. */
#ifndef DFA_BATCH_H
#define DFA_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_applier.h"

typedef struct dfa_batch dfa_batch;

/* One polled message. payload and source are borrowed: both must stay valid
 * until the batch gives the source back (release or forget). */
typedef struct {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 when the message has none */
    const void *payload;
    size_t len;
    void *source;
} dfa_message;

/* Keeps applier and core (borrowed). */
dfa_status dfa_batch_new(dfa_applier *applier, const dfa_core *core, dfa_batch **out, dfa_error *err);
/* Frees the batch; the caller has taken every source back first (forget). */
void dfa_batch_free(dfa_batch *b);

/* Hands one message over: validated now (an invalid one is settled as a dead
 * letter with its code and reason when its batch is) and staged. DFA_ERR_NOMEM
 * leaves the message the caller's. */
dfa_status dfa_batch_take(dfa_batch *b, const dfa_message *m, dfa_error *err);

/* Messages held (waiting, in flight or settled), and those waiting for a batch. */
size_t dfa_batch_held(const dfa_batch *b);
size_t dfa_batch_waiting(const dfa_batch *b);
bool dfa_batch_in_flight(const dfa_batch *b);

/* Sends the waiting messages' batch (as much as the applier's bounds take)
 * without waiting for it; does nothing while a batch is in flight or settled
 * messages wait for release. On failure nothing is in flight. */
dfa_status dfa_batch_begin(dfa_batch *b, const char *topic, dfa_error *err);
/* Waits for the batch in flight; on success its messages are settled. On
 * failure (Redis down, a province stopped) nothing is in flight and the
 * messages wait again: begin sends them again, and what Redis already holds
 * is recognised by the offset markers. */
dfa_status dfa_batch_finish(dfa_batch *b, dfa_error *err);

/* The settled messages, in the order they were taken: their outcome, code and
 * reason (dfa_batch_item), and their source. */
size_t dfa_batch_settled(const dfa_batch *b);
const dfa_batch_item *dfa_batch_item_at(const dfa_batch *b, size_t i);
void *dfa_batch_source_at(const dfa_batch *b, size_t i);

/* The caller has dead-lettered and committed the settled messages: each
 * source goes back through give_back(ctx, source), and the batch forgets them. */
typedef void (*dfa_batch_give_back)(void *ctx, void *source);
void dfa_batch_release(dfa_batch *b, dfa_batch_give_back give_back, void *ctx);

/* Forgets every message not in flight for which drop(ctx, source) is true
 * (settled or waiting: uncommitted, so they are read again): drop takes the
 * source back. For revoked partitions, and at shutdown. */
typedef bool (*dfa_batch_drop)(void *ctx, void *source);
void dfa_batch_forget(dfa_batch *b, dfa_batch_drop drop, void *ctx);

#endif
