/* dfa_ingest: a request body into the records it holds, one event each, with
 * where each is in the body, before any is validated.
 *
 *   application/x-ndjson  one event a line, read as dfa-check reads a file
 *                         (dfa_ndjson): blank lines skipped, lines counted
 *   application/json      one event object, or an array of them
 *   text/csv              (aggregator/dfa_csv, once wired: dfa_ingest_accepts
 *                         says false until then, and the gateway answers 415)
 *
 * A record is the event's own bytes, handed to dfa_event_parse exactly as
 * dfa-check would get them, so every event gets the same verdict and reason
 * whichever way it comes. */
#ifndef DFA_INGEST_H
#define DFA_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_error.h"

typedef enum { DFA_BODY_NDJSON, DFA_BODY_JSON, DFA_BODY_CSV } dfa_body_format;

/* The format of a media type ("application/json"); false if none. */
bool dfa_ingest_format(const char *media_type, dfa_body_format *out);
/* Whether bodies of that format are taken (CSV: not yet). */
bool dfa_ingest_accepts(dfa_body_format f);

typedef struct {
    const char *text; /* borrowed from the body */
    size_t len;
    size_t line;      /* where the record starts in the body, from 1 */
} dfa_record;

typedef struct {
    dfa_record *items;
    size_t n, cap;
} dfa_records;

/* Splits body (len bytes) into out (zero it first; free with
 * dfa_records_free). DFA_ERR_JSON when the body is not a body of that format
 * at all (empty; JSON that is neither an object nor an array of values; an
 * NDJSON body none of whose lines is JSON) — the gateway's 422; DFA_ERR_LIMIT
 * when it holds more than max records (413). err says where. */
dfa_status dfa_ingest_split(dfa_body_format f, const char *body, size_t len, size_t max, dfa_records *out,
                            dfa_error *err);
void dfa_records_free(dfa_records *r);

#endif
