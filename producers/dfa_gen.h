/* dfa_gen: synthetic but realistic events for every catalog type, driven by
 * the catalog's field specs, reproducible from a seed. Used by dfa-loadgen
 * and by the tests. */
#ifndef DFA_GEN_H
#define DFA_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_core.h"
#include "dfa_period.h"

typedef struct dfa_gen dfa_gen;

typedef struct {
    uint64_t seed;
    int year_from, year_to; /* occurred_at falls in these years (local time) */
    int share_old_names;    /* percent of events naming their province by a name or code of the
                             * unit in force then (before July 2025) rather than today's code */
} dfa_gen_options;

/* NULL on allocation failure. Keeps core (borrowed; must outlive it). */
dfa_gen *dfa_gen_new(const dfa_core *core, const dfa_gen_options *opt);
void dfa_gen_free(dfa_gen *gen);

/* A uniformly random integer in [0, n). */
uint64_t dfa_gen_below(dfa_gen *gen, uint64_t n);

/* Writes a valid event of a random type (plan targets and nil declarations
 * included) with the given id into out; returns its length, or 0 if cap is
 * too small. Lifecycles are followed: a closing event (an agreement expired,
 * an NGO's registration ended, an FDI project terminated, a citizen-protection
 * case closed) only closes something opened before, in the same province, with
 * its id; drawn with nothing to close, it opens something instead. So a stock
 * never goes below zero. */
size_t dfa_gen_event(dfa_gen *gen, const char *event_id, char *out, size_t cap);

/* The same, with the event's local date fixed (year range ignored). */
size_t dfa_gen_event_on(dfa_gen *gen, const char *event_id, dfa_date day, char *out, size_t cap);

/* Writes an invalid event, one of a rotating set of faults (syntax, unknown
 * type, unknown province, wrong field type, bad currency, bad date, unknown
 * field, not an object, invalid UTF-8, missing event_id). */
size_t dfa_gen_invalid(dfa_gen *gen, const char *event_id, char *out, size_t cap);

/* Whether the loadgen may retract this earlier event (its JSON text): not the
 * opening event of a thing already closed (an NGO registered, then ended),
 * whose stock would fall below zero. When it may, a thing it opened is never
 * closed afterwards. */
bool dfa_gen_may_retract(dfa_gen *gen, const char *event_json);

/* Writes a retraction of `original` (a valid event's JSON text) with the
 * given id: the original's envelope and data, op retract, ref = its id. */
size_t dfa_gen_retraction(const char *original, const char *event_id, char *out, size_t cap);

#endif
