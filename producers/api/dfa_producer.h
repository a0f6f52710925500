/* dfa_producer: the C API department systems use to publish events.
 *
 *   dfa_producer *p;
 *   dfa_producer_new(cfg, core, on_delivery, ctx, &p, &err);
 *   dfa_producer_send_json(p, line, len, lineno, &err);  // validated, then queued; lineno comes back in on_delivery
 *   dfa_producer_flush(p, 30000, &err);                  // every delivery reported
 *   dfa_producer_free(p);
 *
 * (producers/examples/send_events.c is the whole program.)
 *
 * Each event is validated with the aggregation core before it is queued; an
 * invalid one is refused with the reason and never reaches Kafka. Valid ones
 * go out through librdkafka's idempotent producer (acks=all), keyed by today's
 * province code so one province's events stay in one partition, in order.
 *
 * Threads: send, flush and the counters may be called from any thread. The
 * delivery callback runs on the producer's own background thread, once per
 * queued event. */
#ifndef DFA_PRODUCER_H
#define DFA_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_error.h"

typedef struct dfa_producer dfa_producer;

/* Called once per queued event. event_id and error are valid only during the
 * call; error is NULL when delivered. tag is what was given to send. */
typedef void (*dfa_delivery_fn)(void *ctx, const char *event_id, uint64_t tag, const char *error);

/* Connects using cfg (topic.events, kafka.*). Keeps core and ctx (borrowed):
 * both must outlive the producer. On success *out belongs to the caller. */
dfa_status dfa_producer_new(const dfa_config *cfg, const dfa_core *core, dfa_delivery_fn on_delivery, void *ctx,
                            dfa_producer **out, dfa_error *err);

/* Validates and queues one event (JSON text, len bytes, copied). tag is
 * handed back to the delivery callback (a line number, say). Blocks while the
 * local queue is full rather than dropping anything. DFA_OK means queued;
 * the outcome comes through the callback. */
dfa_status dfa_producer_send_json(dfa_producer *p, const char *json, size_t len, uint64_t tag, dfa_error *err);

/* Sends an event composed with dfa_event_builder (b stays the caller's). */
struct dfa_event_builder;
dfa_status dfa_producer_send_built(dfa_producer *p, const struct dfa_event_builder *b, uint64_t tag, dfa_error *err);

/* Waits until every queued event has been reported, at most timeout_ms.
 * DFA_ERR_LIMIT if some are still in flight at the deadline. */
dfa_status dfa_producer_flush(dfa_producer *p, int timeout_ms, dfa_error *err);

/* Events queued and not yet reported. */
uint64_t dfa_producer_in_flight(const dfa_producer *p);

/* Stops the background thread and releases everything. Events still in
 * flight are reported as failed ("producer closed") first. */
void dfa_producer_free(dfa_producer *p);

#endif
