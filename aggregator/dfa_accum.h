/* dfa_accum: one sum per (key, field), for merging many deltas into few
 * writes, and as a bounded map of string pairs to integers.
 *
 * It knows nothing of events (dfa_delta_accumulate adds an event's deltas).
 * Memory is bounded by max_entries distinct (key, field) pairs, not by the
 * number of additions. Entries are kept in first-insertion order, so
 * iterating (and therefore what a writer sends) is deterministic. Additions
 * can be grouped so that a group goes in whole or not at all. */
#ifndef DFA_ACCUM_H
#define DFA_ACCUM_H

#include <stddef.h>
#include <stdint.h>

#include "dfa_error.h"

typedef struct dfa_accum dfa_accum;

/* What a caller keeps with a key, given when the key is first added. */
typedef struct {
    int tag;           /* the caller's; -1 when the key came without a note */
    const char *label; /* copied; NULL for none */
} dfa_accum_note;

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

/* A group of additions that goes in whole or not at all: begin, put each,
 * then commit, or rollback to leave the accumulator as it was before begin
 * (sums, and the pairs and keys the group created). */
void dfa_accum_begin(dfa_accum *acc);
dfa_status dfa_accum_put(dfa_accum *acc, const char *key, const char *field, int64_t amount, dfa_error *err);
/* The same, noting note with key when key is new (note may be NULL). */
dfa_status dfa_accum_put_noted(dfa_accum *acc, const char *key, const char *field, int64_t amount,
                               const dfa_accum_note *note, dfa_error *err);
void dfa_accum_commit(dfa_accum *acc);
void dfa_accum_rollback(dfa_accum *acc);

size_t dfa_accum_size(const dfa_accum *acc);
/* Groups committed since the last clear. */
size_t dfa_accum_groups(const dfa_accum *acc);
const dfa_accum_entry *dfa_accum_entry_at(const dfa_accum *acc, size_t i);
/* The current sum for (key, field), 0 when absent. */
int64_t dfa_accum_get(const dfa_accum *acc, const char *key, const char *field);
/* The index of (key, field)'s entry, or -1 when absent. */
long dfa_accum_find(const dfa_accum *acc, const char *key, const char *field);

/* The distinct keys, in first-insertion order, each with the note given
 * when it was first added (dfa_accum_put_noted): a caller groups the writes
 * of one key, and knows what the key is, without parsing it. */
size_t dfa_accum_keys(const dfa_accum *acc);
const char *dfa_accum_key(const dfa_accum *acc, size_t k);
const dfa_accum_note *dfa_accum_key_note(const dfa_accum *acc, size_t k);

/* Empties it, keeping its memory for the next batch. */
void dfa_accum_clear(dfa_accum *acc);

#endif
