/* dfa_view_cache: the figures of dfa-view, shared by every request and every
 * live stream, read from Redis by one thread at one pace.
 *
 * An entry is one rollup (dfa_rollup_build: a period, or a date range, with
 * its as-of date and units) and its latest result. A refresher thread reads
 * the offset markers once per interval (view.interval_ms); only when they
 * moved does it build again the rollups that were asked for in the last
 * view.keep_s seconds or that a stream watches. So Redis is read once per
 * interval and per period, however many clients ask: a request takes the
 * latest result (only the very first request for an entry waits for a read).
 *
 * A result is immutable and counted: the rollup, the offsets read before it
 * (its figures hold at least what those offsets say was applied), the moment
 * it was read, and the id of the last change of its figures ("the offsets
 * vector" of docs/view.md), which stays the same while the figures do. */
#ifndef DFA_VIEW_CACHE_H
#define DFA_VIEW_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_error.h"
#include "dfa_metrics.h"
#include "dfa_redis.h"
#include "dfa_rollup.h"

typedef struct dfa_view_cache dfa_view_cache;
typedef struct dfa_view_result dfa_view_result;

/* Called by the refresher, on its thread, when an entry's figures changed
 * (key as dfa_view_cache_key gives it; result borrowed for the call), and
 * once per interval with key NULL (for heartbeats and pruning). */
typedef void (*dfa_view_change_fn)(void *ctx, const char *key, dfa_view_result *result);

/* redis becomes the cache's (freed with it); core, cfg and metrics are
 * borrowed and must outlive it. */
dfa_status dfa_view_cache_new(const dfa_config *cfg, const dfa_core *core, dfa_redis *redis, dfa_metrics *metrics,
                              dfa_view_cache **out, dfa_error *err);
/* Stops the refresher and frees everything. */
void dfa_view_cache_free(dfa_view_cache *c);
void dfa_view_cache_on_change(dfa_view_cache *c, dfa_view_change_fn fn, void *ctx);
dfa_status dfa_view_cache_start(dfa_view_cache *c, dfa_error *err);

/* The text that names spec's entry (out: at least 96 bytes). */
void dfa_view_cache_key(const dfa_rollup_spec *spec, char *out, size_t cap);

/* The latest result of spec's entry, read now when there is none yet.
 * watch adds a watcher (a stream) that keeps the entry refreshed until
 * dfa_view_cache_unwatch. *out is a reference (dfa_view_result_release).
 * DFA_ERR_LIMIT when view.cache_periods entries are all in use; DFA_ERR_IO
 * when Redis failed. */
dfa_status dfa_view_cache_get(dfa_view_cache *c, const dfa_rollup_spec *spec, bool watch, dfa_view_result **out,
                              dfa_error *err);
void dfa_view_cache_unwatch(dfa_view_cache *c, const char *key);

void dfa_view_result_release(dfa_view_result *r);
dfa_view_result *dfa_view_result_ref(dfa_view_result *r);
/* Borrowed from the result. */
const json_t *dfa_view_result_rollup(const dfa_view_result *r);
const json_t *dfa_view_result_offsets(const dfa_view_result *r);
const char *dfa_view_result_read_at(const dfa_view_result *r);
const char *dfa_view_result_change_id(const dfa_view_result *r);

/* A rendering of the result kept with it (the same bytes for every request
 * that asks for the same variant): made once by make(ctx) (malloc'd text,
 * which the result then owns), then returned as is. Borrowed from the result;
 * NULL when make fails. */
typedef char *(*dfa_view_render_fn)(const dfa_view_result *r, void *ctx, size_t *len);
const char *dfa_view_result_render(dfa_view_result *r, const char *variant, dfa_view_render_fn make, void *ctx,
                                   size_t *len);

/* Freshness: per current unit, when the view saw its offset markers last move
 * (ISO 8601, or null before the first move it saw), and every live
 * consumer's lag (from its stats in Redis). The caller owns the result. */
json_t *dfa_view_cache_freshness(dfa_view_cache *c);

/* Redis round trips made so far (the refresher's and the first reads'). */
uint64_t dfa_view_cache_round_trips(dfa_view_cache *c);

#endif
