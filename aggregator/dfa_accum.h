/* dfa_accum: merges the deltas of many events into one sum per (key, field),
 * so a batch reaches Redis as few writes however many events it holds.
 *
 * Memory is bounded by max_entries distinct (key, field) pairs, not by the
 * number of events. Entries are kept in first-insertion order, so iterating
 * (and therefore what a writer sends) is deterministic. */
#ifndef DFA_ACCUM_H
#define DFA_ACCUM_H

#include <stddef.h>
#include <stdint.h>

#include "dfa_error.h"
#include "dfa_event.h"

typedef struct dfa_accum dfa_accum;

typedef struct {
    const char *key;   /* owned by the accumulator, valid until clear/free; one copy per distinct key */
    const char *field;
    int64_t amount;
    uint32_t key_index; /* which of the distinct keys (dfa_accum_key) */
} dfa_accum_entry;

/* NULL on allocation failure. Free with dfa_accum_free. */
dfa_accum *dfa_accum_new(size_t max_entries);
void dfa_accum_free(dfa_accum *acc);

/* Adds one delta. DFA_ERR_LIMIT when a new pair would pass max_entries or the
 * sum would overflow int64; the accumulator is then unchanged. */
dfa_status dfa_accum_add(dfa_accum *acc, const char *key, const char *field, int64_t amount, dfa_error *err);

/* Adds all deltas of ev, or none: on DFA_ERR_LIMIT (full) the accumulator is
 * unchanged, so the caller can flush it and add the event again. */
dfa_status dfa_accum_add_event(dfa_accum *acc, const dfa_event *ev, dfa_error *err);

/* Takes back the deltas of ev, added earlier: for an event staged as if it
 * would count that turned out not to. Its pairs stay, at their old sums. */
dfa_status dfa_accum_sub_event(dfa_accum *acc, const dfa_event *ev, dfa_error *err);

size_t dfa_accum_size(const dfa_accum *acc);
/* Events added since the last clear (a retraction counts as one). */
size_t dfa_accum_events(const dfa_accum *acc);
const dfa_accum_entry *dfa_accum_entry_at(const dfa_accum *acc, size_t i);
/* The current sum for (key, field), 0 when absent. */
int64_t dfa_accum_get(const dfa_accum *acc, const char *key, const char *field);
/* The index of (key, field)'s entry, or -1 when absent. */
long dfa_accum_find(const dfa_accum *acc, const char *key, const char *field);

/* The distinct keys, in first-insertion order, each with the tag that was
 * set (dfa_accum_set_tag) when it was first added: a caller groups the
 * writes of one key, and knows whose key it is, without parsing it. */
size_t dfa_accum_keys(const dfa_accum *acc);
const char *dfa_accum_key(const dfa_accum *acc, size_t k);
int dfa_accum_key_tag(const dfa_accum *acc, size_t k);
void dfa_accum_set_tag(dfa_accum *acc, int tag);

/* Empties it, keeping its memory for the next batch. */
void dfa_accum_clear(dfa_accum *acc);

#endif
