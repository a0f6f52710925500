/* dfa_memory: what is remembered of one event id, and how an add or a
 * retraction changes it (docs/exactly-once.md, "What is remembered").
 *
 * The applier keeps one value per (province, local day of the event, id) in
 * Redis; this module only reads and writes those values, so the rules can be
 * tested without Redis. Values are short text:
 *   "c<fp>"                    counted, with the fingerprint of what it counted
 *   "r<fp>"                    retracted (or cancelled before it counted)
 *   "t<fp><rid>,<fp><rid>,..." retractions waiting for their event: each copy's
 *                              fingerprint and the retraction's own id
 *   "x"                        the id of a retraction (a resend is a duplicate)
 * where <fp> is a 16-hex-digit fingerprint (dfa_event_fingerprint). Every rule
 * gives the same totals whatever order an event and its retractions come in,
 * for faithful and for wrong copies. */
#ifndef DFA_MEMORY_H
#define DFA_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_event.h"

/* Retractions with different copies that may wait for one event: a bound on
 * a value's size, since any sender can retract any id. */
#define DFA_MEMORY_MAX_COPIES 8
#define DFA_MEMORY_VALUE_MAX (1 + DFA_MEMORY_MAX_COPIES * (16 + DFA_EVENT_ID_MAX + 1) + 1)

typedef enum {
    DFA_MEMORY_COUNT,      /* an add never seen: it counts */
    DFA_MEMORY_DUPLICATE,  /* the id is remembered already: nothing */
    DFA_MEMORY_CANCEL,     /* an add whose faithful retraction came first: counts nothing */
    DFA_MEMORY_RETRACT,    /* a faithful retraction of a counted event: its deltas come off */
    DFA_MEMORY_TOMBSTONE,  /* a retraction before its event: waits for it */
    DFA_MEMORY_ALREADY,    /* the same retraction again (same copy): nothing */
    DFA_MEMORY_MISMATCH,   /* a retraction whose copy differs from the event: dead letter */
    DFA_MEMORY_NOT_EVENT,  /* a retraction whose ref is the id of a retraction: dead letter */
    DFA_MEMORY_FULL,       /* DFA_MEMORY_MAX_COPIES different copies already wait: dead letter */
} dfa_memory_verdict;

/* An add with fingerprint fp, against was (the remembered value, NULL when
 * none). now (DFA_MEMORY_VALUE_MAX bytes) receives the value to remember from
 * now on, or "" when it stays as it is. When waiting retractions carried
 * other copies, mismatched (cap bytes) receives their ids, comma-separated;
 * else "". */
dfa_memory_verdict dfa_memory_add(const char *was, const char *fp, char *now, char *mismatched, size_t cap);

/* A retraction with id rid whose copy has fingerprint fp, against was (the
 * value of the id it retracts). now as for dfa_memory_add. */
dfa_memory_verdict dfa_memory_retract(const char *was, const char *fp, const char *rid, char *now);

/* The value that marks a retraction's own id. */
#define DFA_MEMORY_RETRACTION_ID "x"

#endif
