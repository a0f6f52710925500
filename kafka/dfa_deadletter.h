/* dfa_deadletter: publishes rejected messages to the dead-letter topic, each
 * once, whatever its size, key, headers or bytes.
 *
 * A record is a full copy when it fits the producer's message.max.bytes with
 * room for its headers: the original value and key, unchanged. Its headers
 * say why and where from:
 *   dfa.error             a status name such as "schema", or "retraction_mismatch"
 *   dfa.reason            the message
 *   dfa.source.topic, dfa.source.partition, dfa.source.offset
 * A message too large for that (a 1 MB value, a 2 MB key), or a record the
 * broker refuses for good (MSG_SIZE_TOO_LARGE, INVALID_RECORD,
 * RECORD_LIST_TOO_LARGE, INVALID_MSG, INVALID_MSG_SIZE), is sent as a cut
 * copy instead, and if that is refused too, as its headers only. Those
 * records add:
 *   dfa.truncated         "cut": key and value are their first
 *                         consumer.deadletter_cut_bytes bytes (shorter ones
 *                         whole); "headers_only": no key, no value
 *   dfa.value.size, dfa.key.size       the original's sizes in bytes (decimal)
 *   dfa.value.sha256, dfa.key.sha256   SHA-256 of the original's bytes, 64
 *                                      lower-case hex digits (of no bytes for a
 *                                      missing key or value)
 *
 * A record is owed until the broker acknowledges it: records that failed
 * for another reason (the topic unreachable: an outage) are sent again by
 * the next dfa_deadletter_settle, and records still in flight are never
 * sent twice. */
#ifndef DFA_DEADLETTER_H
#define DFA_DEADLETTER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_deadletter dfa_deadletter;

typedef struct {
    uint64_t cut;  /* records acknowledged as a cut copy or headers only */
    uint64_t lost; /* records refused in every form (each logged with its source, sizes and SHA-256) */
} dfa_deadletter_stats;

/* *out is freed by dfa_deadletter_free. */
dfa_status dfa_deadletter_new(const dfa_config *cfg, dfa_deadletter **out, dfa_error *err);
/* Waits a moment for what is owed, then drops it (each logged). */
void dfa_deadletter_free(dfa_deadletter *d);

/* Takes one record for src (copies what it needs: src may go right after)
 * and starts sending it. Fails only when out of memory; delivery is the
 * business of dfa_deadletter_settle. */
dfa_status dfa_deadletter_send(dfa_deadletter *d, const rd_kafka_message_t *src, const char *code, const char *reason,
                               dfa_error *err);

/* Sends again what failed before, smaller what was refused for good, and
 * waits up to timeout_ms for every record owed. DFA_OK when none is owed any
 * more; DFA_ERR_IO, an outage, when some failed for another reason or are
 * still unacknowledged: call again later. */
dfa_status dfa_deadletter_settle(dfa_deadletter *d, int timeout_ms, dfa_error *err);

/* Records owed: not acknowledged yet. */
size_t dfa_deadletter_owed(const dfa_deadletter *d);

const dfa_deadletter_stats *dfa_deadletter_stats_of(const dfa_deadletter *d);

#endif
