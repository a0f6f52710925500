/* dfa_metrics: a small registry of counters, gauges and histograms, written
 * out in Prometheus' text exposition format (version 0.0.4) for GET /metrics.
 *
 * A metric is a name and a fixed label set, given as Prometheus text
 * (`code="200",route="/v1/events"`, or "" for none). Getting one creates it
 * the first time (under the registry's lock); updating it afterwards takes no
 * lock (counters and gauges are atomics, a histogram has its own small lock).
 * Every series of one name must be of one kind with the same help text.
 * Metrics live as long as the registry; pointers to them stay valid. */
#ifndef DFA_METRICS_H
#define DFA_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dfa_metrics dfa_metrics;
typedef struct dfa_counter dfa_counter;
typedef struct dfa_gauge dfa_gauge;
typedef struct dfa_histogram dfa_histogram;

/* NULL on allocation failure. The registry belongs to the caller. */
dfa_metrics *dfa_metrics_new(void);
void dfa_metrics_free(dfa_metrics *m);

/* name, help and labels are copied. NULL only when out of memory, or when
 * name is already a metric of another kind. */
dfa_counter *dfa_metrics_counter(dfa_metrics *m, const char *name, const char *help, const char *labels);
dfa_gauge *dfa_metrics_gauge(dfa_metrics *m, const char *name, const char *help, const char *labels);
/* bounds: the n upper bounds of the buckets, increasing (copied); +Inf is added. */
dfa_histogram *dfa_metrics_histogram(dfa_metrics *m, const char *name, const char *help, const char *labels,
                                     const double *bounds, size_t n);

/* All accept NULL (a metric that could not be created) and do nothing. */
void dfa_counter_add(dfa_counter *c, uint64_t n);
uint64_t dfa_counter_value(const dfa_counter *c);
void dfa_gauge_set(dfa_gauge *g, int64_t v);
void dfa_histogram_observe(dfa_histogram *h, double v);

/* The whole registry as text, series of one name together under their
 * # HELP and # TYPE lines, in the order names were first registered.
 * malloc'd (the caller frees it); *len gets its length. NULL when out of memory. */
char *dfa_metrics_render(dfa_metrics *m, size_t *len);

#endif
