/* dfa_sender: a producer of one topic whose delivery reports are served on a
 * thread of its own, so its callers never poll: what the C API's producer
 * (producers/api/dfa_producer.c) and the gateway's publisher share. */
#ifndef DFA_SENDER_H
#define DFA_SENDER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_sender dfa_sender;

/* A producer made by dfa_kafka_producer_new (cfg, defaults and on_delivery as
 * there; on_delivery runs on the sender's thread with opaque, which must
 * outlive the sender) for topic (copied). *out belongs to the caller
 * (dfa_sender_free). Errors name the property or say what did not start. */
dfa_status dfa_sender_new(const dfa_config *cfg, const char *topic, const char *const (*defaults)[2], size_t n,
                          void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *), void *opaque,
                          dfa_sender **out, dfa_error *err);

/* The client and its topic, to produce with (borrowed until dfa_sender_free). */
rd_kafka_t *dfa_sender_kafka(const dfa_sender *s);
rd_kafka_topic_t *dfa_sender_topic(const dfa_sender *s);

/* Stops the thread, purges what is still queued or in flight (each reported
 * as failed) and frees everything. Flush first to wait for deliveries. */
void dfa_sender_free(dfa_sender *s);

#endif
