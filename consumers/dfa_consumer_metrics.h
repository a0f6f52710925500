/* dfa_consumer_metrics: a consumer's /metrics and /healthz (docs/operations.md
 * "Metrics"), served from the HTTP layer on consumer.metrics_listen.
 *
 * The consumer's loop hands over its figures (dfa_consumer_figures, totals
 * since start) after each batch and its librdkafka statistics when they come
 * (statistics.interval.ms); the HTTP thread only renders the registry. Lag is
 * named after kafka_exporter's: kafka_consumergroup_lag{consumergroup,topic,partition}. */
#ifndef DFA_CONSUMER_METRICS_H
#define DFA_CONSUMER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_applier.h"
#include "dfa_error.h"

typedef struct dfa_consumer_metrics dfa_consumer_metrics;

/* What the consumer has done since it started. */
typedef struct {
    uint64_t batches, outcomes[DFA_OUTCOME__COUNT], redis_round_trips, conflicts, redos;
    uint64_t commit_failures, redis_failures, dead_letter_failures, dead_letters_cut, dead_letters_lost;
} dfa_consumer_figures;

/* Listens on listen ("127.0.0.1:9187"); group and client_id label the
 * series (both copied). *out belongs to the caller. */
dfa_status dfa_consumer_metrics_start(const char *listen, const char *group, const char *client_id,
                                      dfa_consumer_metrics **out, dfa_error *err);
void dfa_consumer_metrics_free(dfa_consumer_metrics *m);

void dfa_consumer_metrics_update(dfa_consumer_metrics *m, const dfa_consumer_figures *f);
/* librdkafka's statistics (the JSON of its stats callback, len bytes). */
void dfa_consumer_metrics_kafka_stats(dfa_consumer_metrics *m, const char *json, size_t len);
/* /healthz answers 503 while false (an outage: Redis or the dead-letter topic down). */
void dfa_consumer_metrics_healthy(dfa_consumer_metrics *m, bool healthy);

#endif
