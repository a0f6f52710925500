/* dfa_deadletter: publishes rejected messages to the dead-letter topic.
 *
 * The record's value is the original bytes, unchanged; its key is the
 * original key; headers say why and where from: dfa.error (a status name such
 * as "schema"), dfa.reason (the message), dfa.source.topic,
 * dfa.source.partition, dfa.source.offset. */
#ifndef DFA_DEADLETTER_H
#define DFA_DEADLETTER_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_deadletter dfa_deadletter;

dfa_status dfa_deadletter_new(const dfa_config *cfg, dfa_deadletter **out, dfa_error *err);
void dfa_deadletter_free(dfa_deadletter *d);

/* Queues one record (copies everything). */
dfa_status dfa_deadletter_send(dfa_deadletter *d, const rd_kafka_message_t *src, const char *code, const char *reason,
                               dfa_error *err);

/* Waits for every queued record; DFA_ERR_IO if any was not delivered. */
dfa_status dfa_deadletter_flush(dfa_deadletter *d, int timeout_ms, dfa_error *err);

#endif
