/* dfa_event: one event of the contract in docs/events.md, parsed from JSON and
 * validated against the catalog and the province table.
 *
 * Validation never aborts and never trusts the input: any byte string gives
 * either a valid event or an error naming the field path and the reason. */
#ifndef DFA_EVENT_H
#define DFA_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_core.h"
#include "dfa_period.h"

struct json_t;

/* Larger events are refused before parsing (DFA_ERR_LIMIT). */
#define DFA_EVENT_MAX_BYTES 65536
#define DFA_EVENT_ID_MAX 64
#define DFA_SCHEMA_VERSION 1

typedef struct dfa_event dfa_event;

/* Parses and validates len bytes (no NUL needed). On success *out belongs to
 * the caller (dfa_event_free) and keeps pointers into core, which must
 * outlive it. On failure *out is untouched and err says what, where and why. */
dfa_status dfa_event_parse(const dfa_core *core, const char *buf, size_t len, dfa_event **out,
                           dfa_error *err);
void dfa_event_free(dfa_event *ev);

const char *dfa_event_id(const dfa_event *ev);
/* The id whose contribution this event carries: ref for a retraction, else the id. */
const char *dfa_event_subject_id(const dfa_event *ev);
const dfa_event_type *dfa_event_type_of(const dfa_event *ev);
bool dfa_event_is_retraction(const dfa_event *ev);
/* The reporter role (one of the catalog's reporters). */
const char *dfa_event_reporter(const dfa_event *ev);
bool dfa_event_is_estimate(const dfa_event *ev);
const dfa_instant *dfa_event_time(const dfa_event *ev);
const dfa_unit *dfa_event_current_unit(const dfa_event *ev);
const dfa_unit *dfa_event_original_unit(const dfa_event *ev);
/* A 16-hex-digit fingerprint of what the event counts (type, unit in force,
 * instant, estimate or not, data with sorted keys), the same for an event and a faithful
 * retraction copy of it. out must hold 17 bytes. */
void dfa_event_fingerprint(const dfa_event *ev, char out[17]);

/* The validated `data` object; borrowed, valid as long as the event. */
const struct json_t *dfa_event_data(const dfa_event *ev);

#endif
