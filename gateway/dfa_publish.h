/* dfa_publish: the gateway's Kafka side. Validated events go out through the
 * pipeline's idempotent producer (dfa_kafka_producer_new: acks=all), keyed by
 * today's province code like dfa-produce, each with two headers so a figure
 * can be traced to who sent it:
 *   dfa.token        the name of the token that sent it
 *   dfa.received_at  when the gateway received the request (UTC, RFC 3339, ms)
 *
 * Delivery reports come back on the publisher's own thread, once per event
 * sent, through on_delivery with the opaque given to dfa_publish_send. An
 * event not delivered within gateway.delivery_timeout_ms (librdkafka's
 * message.timeout.ms, unless kafka.message.timeout.ms says otherwise) is
 * reported failed: that is how "Kafka unreachable" is seen. */
#ifndef DFA_PUBLISH_H
#define DFA_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_publisher dfa_publisher;

/* error is NULL when delivered; valid only during the call. */
typedef void (*dfa_publish_fn)(void *opaque, const char *error);

/* On success *out belongs to the caller. */
dfa_status dfa_publisher_new(const dfa_config *cfg, dfa_publish_fn on_delivery, dfa_publisher **out,
                             dfa_error *err);

/* Queues one event (value copied). DFA_ERR_IO when librdkafka refuses it
 * (its queue stays full for a second, say): then no report will come. */
dfa_status dfa_publish_send(dfa_publisher *p, const char *key, const char *value, size_t len, const char *token,
                            const char *received_at, void *opaque, dfa_error *err);

/* True when the last delivery report was a failure (a timeout: no broker
 * took the event), false after a delivery and before the first report. */
bool dfa_publisher_kafka_down(const dfa_publisher *p);

/* Waits (at most timeout_ms) for the reports of everything queued, then
 * stops the thread and frees; what is left is reported failed first. */
void dfa_publisher_free(dfa_publisher *p, int timeout_ms);

#endif
