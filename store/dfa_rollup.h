/* dfa_rollup: the figures a periodic report needs, as one JSON document
 * (schema "dfa.rollup/2", docs/snapshots.md), and its CSV rendering (the
 * Vietnamese report, Markdown and HTML, is dfa_report's).
 *
 * For the nation and each province, every row with its value, the same
 * period of the year before, the difference and % change (no % on a zero
 * base), the plan target and % achieved, the share of the national total,
 * and coverage ("N of 34 reported"). The document holds no clock reading, so
 * the same data always gives the same bytes. */
#ifndef DFA_ROLLUP_H
#define DFA_ROLLUP_H

#include <jansson.h>
#include <stdbool.h>

#include "dfa_core.h"
#include "dfa_error.h"
#include "dfa_period.h"
#include "dfa_redis.h"

typedef struct {
    const char *label;  /* the period id ("H2025-1"), or "2025-01-10..2025-03-05" */
    bool has_id;        /* label is a period id (targets and nil declarations are kept per id) */
    dfa_date first, last;
    dfa_date as_of;     /* cut-off: figures up to min(last, as_of) */
    bool historic;      /* units in force during the period instead of today's */
    const char *unit_id; /* NULL: the nation and every unit; else one unit's report ("91", or "89x" with historic) */
} dfa_rollup_spec;

/* Builds the document; *out belongs to the caller (json_decref). */
dfa_status dfa_rollup_build(dfa_redis *r, const dfa_core *core, const dfa_rollup_spec *spec, json_t **out,
                            dfa_error *err);

/* The document serialised the one way snapshots are compared and stored.
 * The caller frees the result with free(). */
char *dfa_rollup_json(const json_t *doc);
/* Any document as one JSON text with jansson's flags, ended by a newline;
 * NULL when out of memory. The caller frees it with free(). */
char *dfa_json_line(const json_t *doc, size_t flags);
char *dfa_rollup_csv(const json_t *doc);

#endif
