/* dfa_delta: what one event adds to the counters.
 *
 * An event gives a list of deltas (key, field, amount), every one an
 * HINCRBY in the layout of dfa_keys.h. A retraction gives exactly the negated
 * deltas of the event it carries, so applying both leaves every counter as if
 * neither had happened. */
#ifndef DFA_DELTA_H
#define DFA_DELTA_H

#include <stdint.h>

#include "dfa_accum.h"
#include "dfa_error.h"
#include "dfa_event.h"

typedef enum {
    DFA_DELTA_COUNTER,  /* dfa:{p:CC}:c:<bucket>, field a row */
    DFA_DELTA_DISTINCT, /* dfa:{p:CC}:d:<bucket>:<row>, field an id */
    DFA_DELTA_GAUGE,    /* dfa:{p:CC}:g:<row>, field a point of the series */
    DFA_DELTA_TARGET,   /* dfa:{p:CC}:t:<period>, field "plan|<row>" or "nil|<row>" */
} dfa_delta_kind;

/* One delta, with what its key was built from, so that no caller has to
 * parse a key back. Every string is valid only during the callback. */
typedef struct {
    const char *key, *field;
    int64_t amount;
    dfa_delta_kind kind;
    const char *province;        /* today's code: the key's hash tag */
    const char *bucket;          /* the period id of a counter or distinct bucket; NULL for the others */
    dfa_period_kind bucket_kind; /* DFA_PERIOD_DAY or DFA_PERIOD_MONTH, with bucket */
    const char *row;             /* the figure's row (dfa_row): the field of a counter, in the key of the others */
    const char *metric;          /* the catalog metric, or DFA_ROW_EVENTS */
    const char *dim;             /* the breakdown of the row, NULL for a metric's total row */
} dfa_delta;

/* Receives one delta. Returning anything but DFA_OK stops the enumeration
 * with that status. */
typedef dfa_status (*dfa_delta_fn)(void *ctx, const dfa_delta *d, dfa_error *err);

/* Calls fn for every delta of ev, in a fixed order. */
dfa_status dfa_event_deltas(const dfa_event *ev, dfa_delta_fn fn, void *ctx, dfa_error *err);

/* Calls fn for every delta of ev inside one group of acc (dfa_accum_begin):
 * committed when every call succeeded, rolled back at the first failure, so
 * fn's additions to acc go in whole or not at all. */
dfa_status dfa_delta_group(dfa_accum *acc, const dfa_event *ev, dfa_delta_fn fn, void *ctx, dfa_error *err);

/* Adds sign (1 or -1) times every delta of ev to acc, all or none: on
 * DFA_ERR_LIMIT (acc full, or a sum would overflow) acc is unchanged, so the
 * caller can flush it and add the event again. -1 takes back an event added
 * before. Keys first added here get acc's current tag. */
dfa_status dfa_delta_accumulate(dfa_accum *acc, const dfa_event *ev, int sign, dfa_error *err);

#endif
