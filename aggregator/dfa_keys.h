/* dfa_keys: the Redis key layout (docs/redis-layout.md).
 *
 * Every key of one province carries the hash tag {p:CC} of today's unit, so a
 * province's keys share one slot should they ever be spread over a cluster. Keys and fields are assembled only from validated values
 * (catalog names, ISO codes, period ids, unit ids), none of which can contain
 * the separators ':', '|', '=', '@', '{' or '}'. Distinct ids and gauge
 * fields hold event-supplied ids ([A-Za-z0-9._:-]) but only as hash fields,
 * never inside a key name. */
#ifndef DFA_KEYS_H
#define DFA_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_period.h"

#define DFA_KEY_MAX 256
#define DFA_FIELD_MAX 256
#define DFA_KEY_PREFIX "dfa:"

/* The period kinds whose buckets are written (day and month); every other
 * period, the administrative ones included, is a sum of these at read time. */
#define DFA_STORED_BUCKETS 2
extern const dfa_period_kind dfa_stored_bucket_kinds[DFA_STORED_BUCKETS];

/* Reserved row counting every valid event: coverage ("N of 34 reported"). */
#define DFA_ROW_EVENTS "_events"

/* A row names one figure: "<metric>[|<dim>=<value>][|cur=<CUR>]@<unit_id>".
 * dim/value and currency may be NULL. False if it does not fit. */
bool dfa_row(char *out, size_t cap, const char *metric, const char *dim, const char *value,
             const char *currency, const char *unit_id);

/* The counter field "est|<row>": how many estimated events (estimate: true) the row holds, in the
 * counters hash beside the row, summed like a flow (like a stock for a stock's rows). */
#define DFA_FIELD_ESTIMATE_PREFIX "est|"
bool dfa_field_estimate(char *out, size_t cap, const char *row);

/* dfa:{p:91}:c:<bucket>   hash row -> sum (flow, stock changes, _events), "est|<row>" -> estimates */
bool dfa_key_counters(char *out, size_t cap, const char *code, const char *bucket);
/* dfa:{p:91}:d:<bucket>:<row>   hash id -> references (distinct) */
bool dfa_key_distinct(char *out, size_t cap, const char *code, const char *bucket, const char *row);
/* dfa:{p:91}:g:<row>   hash "<local time>|<event id>|<value>" -> references (gauge) */
bool dfa_key_gauge(char *out, size_t cap, const char *code, const char *row);
/* dfa:{p:91}:t:<period>   hash "plan|<row>" -> target, "nil|<row>" -> declarations */
bool dfa_key_targets(char *out, size_t cap, const char *code, const char *period);
/* dfa:{p:91}:e:<day>   hash event id -> what is remembered of it (dfa_memory.h), by the event's local day */
bool dfa_key_memory(char *out, size_t cap, const char *code, const char *day);
/* dfa:{p:91}:<name>   a province's bookkeeping: "off" (offset markers), "horizon" (the first year
 * whose memory is kept), "months" and "gauges" (registries: the month buckets and the gauge rows it has) */
bool dfa_key_province(char *out, size_t cap, const char *code, const char *name);
/* Every key of the figures (counters, distinct, gauges, targets), for SCAN MATCH: what dfa-dump compares. */
#define DFA_KEY_FIGURES_GLOB DFA_KEY_PREFIX "{p:\?\?}:[cdgt]:*"
/* dfa:snap:<period>@<as-of>:v<N>   a nightly snapshot version's document */
bool dfa_key_snapshot(char *out, size_t cap, const char *period, const char *as_of, int version);
/* The hash "<period>@<as-of>" -> the latest version */
#define DFA_KEY_SNAPSHOT_INDEX DFA_KEY_PREFIX "snapshots"
/* dfa:consumer:<client id>   a live consumer's last stats line */
bool dfa_key_consumer(char *out, size_t cap, const char *client_id);
#define DFA_KEY_CONSUMER_PREFIX DFA_KEY_PREFIX "consumer:"

#endif
