/* dfa_delta: what one event adds to the counters.
 *
 * An event gives a list of deltas (key, field, amount), every one an
 * HINCRBY in the layout of dfa_keys.h. A retraction gives exactly the negated
 * deltas of the event it carries, so applying both leaves every counter as if
 * neither had happened. */
#ifndef DFA_DELTA_H
#define DFA_DELTA_H

#include <stdint.h>

#include "dfa_error.h"
#include "dfa_event.h"

/* Receives one delta. key and field are only valid during the call. Returning
 * anything but DFA_OK stops the enumeration with that status. */
typedef dfa_status (*dfa_delta_fn)(void *ctx, const char *key, const char *field, int64_t amount,
                                   dfa_error *err);

/* Calls fn for every delta of ev, in a fixed order. */
dfa_status dfa_event_deltas(const dfa_event *ev, dfa_delta_fn fn, void *ctx, dfa_error *err);

#endif
