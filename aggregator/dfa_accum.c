#include "dfa_accum.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_arena.h"
#include "dfa_delta.h"

/* A slot of the open-addressing table: the entry's index + 1 (0 = empty)
 * and the top half of its hash, so a probe that misses rarely reads the
 * entry itself. */
typedef struct {
    uint32_t index;
    uint32_t tag;
} slot;

/* What one event changed, to take it back if the event does not fit. */
typedef struct {
    size_t entry;
    int64_t amount; /* added to an entry that was there before */
} undo_step;

struct dfa_accum {
    size_t max_entries, n_entries, n_events;
    dfa_accum_entry *entries;   /* in insertion order */
    uint64_t *hashes;           /* hash of each entry */
    slot *slots;                /* linear probing */
    size_t n_slots, cap_slots;  /* a power of two, at least twice the entries; grows with them */
    dfa_arena *strings;         /* strings of entries */
    undo_step *undo;            /* the event being added: entries it changed */
    size_t n_undo, cap_undo;
    size_t event_first_entry;   /* entries from here on are the event's new ones */
};

static uint64_t hash_pair(const char *key, const char *field)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL; /* separator no string contains */
    for (const unsigned char *p = (const unsigned char *)field; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

#define MIN_SLOTS 4096

dfa_accum *dfa_accum_new(size_t max_entries)
{
    if (max_entries == 0 || max_entries > UINT32_MAX / 4)
        return NULL;
    dfa_accum *acc = calloc(1, sizeof *acc);
    if (!acc)
        return NULL;
    acc->max_entries = max_entries;
    acc->n_slots = MIN_SLOTS;
    acc->entries = malloc(max_entries * sizeof *acc->entries);
    acc->hashes = malloc(max_entries * sizeof *acc->hashes);
    acc->slots = calloc(acc->n_slots, sizeof *acc->slots);
    acc->strings = dfa_arena_new(64 * 1024);
    if (!acc->entries || !acc->hashes || !acc->slots || !acc->strings) {
        dfa_accum_free(acc);
        return NULL;
    }
    acc->cap_slots = acc->n_slots;
    return acc;
}

void dfa_accum_free(dfa_accum *acc)
{
    if (!acc)
        return;
    dfa_arena_free(acc->strings);
    free(acc->entries);
    free(acc->hashes);
    free(acc->slots);
    free(acc->undo);
    free(acc);
}

static uint32_t tag_of(uint64_t h) { return (uint32_t)(h >> 32); }

/* The slot holding (key, field), or the empty slot where it would go. */
static size_t find_slot(const dfa_accum *acc, const char *key, const char *field, uint64_t h)
{
    size_t mask = acc->n_slots - 1, i = (size_t)h & mask;
    uint32_t tag = tag_of(h);
    for (;;) {
        const slot *s = &acc->slots[i];
        if (s->index == 0)
            return i;
        if (s->tag == tag && acc->hashes[s->index - 1] == h) {
            const dfa_accum_entry *e = &acc->entries[s->index - 1];
            if (strcmp(e->key, key) == 0 && strcmp(e->field, field) == 0)
                return i;
        }
        i = (i + 1) & mask;
    }
}

/* Doubles the table, placing the entries again from their kept hashes. It
 * grows when the entries would fill more than half of it, so a batch's
 * table stays about as small as the batch. */
static bool grow(dfa_accum *acc)
{
    size_t n = acc->n_slots * 2;
    if (n > acc->cap_slots) {
        slot *ns = realloc(acc->slots, n * sizeof *ns);
        if (!ns)
            return false;
        acc->slots = ns;
        acc->cap_slots = n;
    }
    acc->n_slots = n;
    memset(acc->slots, 0, n * sizeof *acc->slots);
    for (size_t e = 0; e < acc->n_entries; e++) {
        size_t i = (size_t)acc->hashes[e] & (n - 1);
        while (acc->slots[i].index != 0)
            i = (i + 1) & (n - 1);
        acc->slots[i] = (slot){(uint32_t)(e + 1), tag_of(acc->hashes[e])};
    }
    return true;
}

static dfa_accum_entry *lookup(const dfa_accum *acc, const char *key, const char *field)
{
    uint32_t s = acc->slots[find_slot(acc, key, field, hash_pair(key, field))].index;
    return s ? &acc->entries[s - 1] : NULL;
}

static bool sum_overflows(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r);
}

/* Adds one delta; *existing says whether the pair was there before. */
static dfa_status add_delta(dfa_accum *acc, const char *key, const char *field, int64_t amount, size_t *entry,
                            bool *existing, dfa_error *err)
{
    uint64_t h = hash_pair(key, field);
    size_t i = find_slot(acc, key, field, h);
    if (acc->slots[i].index) {
        dfa_accum_entry *e = &acc->entries[acc->slots[i].index - 1];
        if (sum_overflows(e->amount, amount))
            return dfa_fail(err, DFA_ERR_LIMIT, "counter %s %s would overflow", key, field);
        e->amount += amount;
        *entry = acc->slots[i].index - 1;
        *existing = true;
        return DFA_OK;
    }
    if (acc->n_entries == acc->max_entries)
        return dfa_fail(err, DFA_ERR_LIMIT, "accumulator full (%zu keys)", acc->max_entries);
    if (2 * (acc->n_entries + 1) > acc->n_slots) {
        if (!grow(acc))
            return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
        i = find_slot(acc, key, field, h);
    }
    dfa_accum_entry *e = &acc->entries[acc->n_entries];
    e->key = dfa_arena_strdup(acc->strings, key);
    e->field = dfa_arena_strdup(acc->strings, field);
    if (!e->key || !e->field)
        return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
    e->amount = amount;
    acc->hashes[acc->n_entries] = h;
    acc->slots[i] = (slot){(uint32_t)++acc->n_entries, tag_of(h)};
    *entry = acc->n_entries - 1;
    *existing = false;
    return DFA_OK;
}

dfa_status dfa_accum_add(dfa_accum *acc, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    size_t entry;
    bool existing;
    return add_delta(acc, key, field, amount, &entry, &existing, err);
}

/* Each delta of the event goes straight in; what it changed in entries that
 * were there before is noted, so a failure can take the event back. */
static dfa_status add_event_delta(void *ctx, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    dfa_accum *acc = ctx;
    size_t entry;
    bool existing;
    dfa_status st = add_delta(acc, key, field, amount, &entry, &existing, err);
    if (st != DFA_OK || !existing)
        return st;
    if (acc->n_undo == acc->cap_undo) {
        size_t cap = acc->cap_undo ? acc->cap_undo * 2 : 64;
        undo_step *nu = realloc(acc->undo, cap * sizeof *nu);
        if (!nu) {
            acc->entries[entry].amount -= amount;
            return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
        }
        acc->undo = nu;
        acc->cap_undo = cap;
    }
    acc->undo[acc->n_undo++] = (undo_step){entry, amount};
    return DFA_OK;
}

/* Takes back what the event added: sums first, then its new entries, newest
 * first, so that each emptied slot leaves the probe sequences exactly as
 * they were before it was filled. */
static void take_back_event(dfa_accum *acc)
{
    for (size_t u = acc->n_undo; u-- > 0;)
        acc->entries[acc->undo[u].entry].amount -= acc->undo[u].amount;
    while (acc->n_entries > acc->event_first_entry) {
        const dfa_accum_entry *e = &acc->entries[acc->n_entries - 1];
        acc->slots[find_slot(acc, e->key, e->field, acc->hashes[acc->n_entries - 1])].index = 0;
        acc->n_entries--;
    }
}

dfa_status dfa_accum_add_event(dfa_accum *acc, const dfa_event *ev, dfa_error *err)
{
    acc->n_undo = 0;
    acc->event_first_entry = acc->n_entries;
    dfa_status st = dfa_event_deltas(ev, add_event_delta, acc, err);
    if (st != DFA_OK) {
        take_back_event(acc);
        return st;
    }
    acc->n_events++;
    return DFA_OK;
}

static dfa_status sub_event_delta(void *ctx, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    return dfa_accum_add(ctx, key, field, -amount, err);
}

dfa_status dfa_accum_sub_event(dfa_accum *acc, const dfa_event *ev, dfa_error *err)
{
    dfa_status st = dfa_event_deltas(ev, sub_event_delta, acc, err);
    if (st == DFA_OK && acc->n_events > 0)
        acc->n_events--;
    return st;
}

size_t dfa_accum_size(const dfa_accum *acc) { return acc->n_entries; }
size_t dfa_accum_events(const dfa_accum *acc) { return acc->n_events; }

const dfa_accum_entry *dfa_accum_entry_at(const dfa_accum *acc, size_t i)
{
    return i < acc->n_entries ? &acc->entries[i] : NULL;
}

int64_t dfa_accum_get(const dfa_accum *acc, const char *key, const char *field)
{
    const dfa_accum_entry *e = lookup(acc, key, field);
    return e ? e->amount : 0;
}

void dfa_accum_clear(dfa_accum *acc)
{
    memset(acc->slots, 0, acc->n_slots * sizeof *acc->slots);
    if (acc->n_slots > MIN_SLOTS && 8 * acc->n_entries < acc->n_slots)
        acc->n_slots /= 2; /* shrink slowly after a large batch: the next is likely smaller */
    acc->n_entries = 0;
    acc->n_events = 0;
    dfa_arena_reset(acc->strings);
}
