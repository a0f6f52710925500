/* dfa_kafka: librdkafka configuration from dfa_config, shared by every
 * Kafka client of the pipeline: the program's own defaults first, then every
 * kafka.* property of the config passed through unchanged. */
#ifndef DFA_KAFKA_H
#define DFA_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_error.h"

/* defaults: n pairs {name, value} the program wants unless the config says
 * otherwise. On success *out belongs to the caller (rd_kafka_new takes it).
 * An unknown property or bad value is an error naming the key. */
dfa_status dfa_kafka_conf(const dfa_config *cfg, const char *const (*defaults)[2], size_t n, rd_kafka_conf_t **out,
                          dfa_error *err);

/* Every producer of the pipeline: idempotent, acks=all (exactly-once rests
 * on both), then the program's defaults (n pairs, e.g. linger.ms), then the
 * config's kafka.* properties. on_delivery (may be NULL) gets opaque. On
 * success *out belongs to the caller (rd_kafka_destroy); a bad property or a
 * client that cannot start is an error naming it. */
dfa_status dfa_kafka_producer_new(const dfa_config *cfg, const char *const (*defaults)[2], size_t n,
                                  void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *), void *opaque,
                                  rd_kafka_t **out, dfa_error *err);

#endif
