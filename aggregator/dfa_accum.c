#include "dfa_accum.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_arena.h"

/* A slot of the open-addressing table: the entry's index + 1 (0 = empty)
 * and the top half of its hash, so a probe that misses rarely reads the
 * entry itself. */
typedef struct {
    uint32_t index;
    uint32_t tag;
} slot;

/* What one group changed, to take it back if it does not fit. */
typedef struct {
    size_t entry;
    int64_t amount; /* added to an entry that was there before */
} undo_step;

/* A distinct key: its string (shared by its entries) and its caller's note. */
typedef struct {
    const char *name;
    dfa_accum_note note;
} key_info;

struct dfa_accum {
    size_t max_entries, n_entries, n_groups;
    size_t cap_entries, cap_keys; /* allocated, growing with use up to max_entries */
    key_info *keys;             /* distinct keys, in insertion order */
    uint64_t *key_hashes;
    slot *key_slots;            /* linear probing over keys, like slots over entries */
    size_t n_keys, n_key_slots, cap_key_slots;
    size_t group_first_key;     /* keys from here on are the group's new ones */
    dfa_accum_entry *entries;   /* in insertion order */
    uint64_t *hashes;           /* hash of each entry */
    slot *slots;                /* linear probing */
    size_t n_slots, cap_slots;  /* a power of two, at least twice the entries; grows with them */
    dfa_arena *strings;         /* strings of entries */
    undo_step *undo;            /* the group being added: entries it changed */
    size_t n_undo, cap_undo;
    size_t group_first_entry;   /* entries from here on are the group's new ones */
};

/* FNV-1a: a table index, not a digest anything depends on. */
static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static uint64_t hash_pair(const char *key, const char *field)
{
    uint64_t h = hash_key(key);
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
    acc->n_key_slots = MIN_SLOTS;
    acc->slots = calloc(acc->n_slots, sizeof *acc->slots);
    acc->key_slots = calloc(acc->n_key_slots, sizeof *acc->key_slots);
    acc->strings = dfa_arena_new(64 * 1024);
    if (!acc->slots || !acc->key_slots || !acc->strings) {
        dfa_accum_free(acc);
        return NULL;
    }
    acc->cap_slots = acc->n_slots;
    acc->cap_key_slots = acc->n_key_slots;
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
    free(acc->keys);
    free(acc->key_hashes);
    free(acc->key_slots);
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

/* Doubles a table of slots, placing its n items again from their kept
 * hashes. A table grows when its items would fill more than half of it, so
 * a batch's table stays about as small as the batch. */
static bool grow_table(slot **slots, size_t *n_slots, size_t *cap_slots, const uint64_t *hashes, size_t n_items)
{
    size_t n = *n_slots * 2;
    if (n > *cap_slots) {
        slot *ns = realloc(*slots, n * sizeof *ns);
        if (!ns)
            return false;
        *slots = ns;
        *cap_slots = n;
    }
    *n_slots = n;
    memset(*slots, 0, n * sizeof **slots);
    for (size_t e = 0; e < n_items; e++) {
        size_t i = (size_t)hashes[e] & (n - 1);
        while ((*slots)[i].index != 0)
            i = (i + 1) & (n - 1);
        (*slots)[i] = (slot){(uint32_t)(e + 1), tag_of(hashes[e])};
    }
    return true;
}

static bool grow(dfa_accum *acc) { return grow_table(&acc->slots, &acc->n_slots, &acc->cap_slots, acc->hashes, acc->n_entries); }

/* Room for one more item in an array of cap items of size bytes (and its
 * parallel array of hashes), doubling up to max: the arrays grow with use,
 * so a large bound costs nothing until it is used. */
static bool room_for_one(void **items, uint64_t **hashes, size_t *cap, size_t n, size_t max, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 256;
    if (c > max)
        c = max;
    void *ni = realloc(*items, c * size);
    if (!ni)
        return false;
    *items = ni;
    uint64_t *nh = realloc(*hashes, c * sizeof *nh);
    if (!nh)
        return false;
    *hashes = nh;
    *cap = c;
    return true;
}

/* The slot holding key in the key table, or the empty slot where it would go. */
static size_t find_key_slot(const dfa_accum *acc, const char *key, uint64_t h)
{
    size_t mask = acc->n_key_slots - 1, i = (size_t)h & mask;
    for (;;) {
        const slot *s = &acc->key_slots[i];
        if (s->index == 0 ||
            (s->tag == tag_of(h) && acc->key_hashes[s->index - 1] == h && strcmp(acc->keys[s->index - 1].name, key) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

/* The index of key among the distinct keys, adding it (with note) when new;
 * -1 when out of memory. */
static long intern_key(dfa_accum *acc, const char *key, const dfa_accum_note *note)
{
    uint64_t h = hash_key(key);
    size_t i = find_key_slot(acc, key, h);
    if (acc->key_slots[i].index)
        return (long)acc->key_slots[i].index - 1;
    if (!room_for_one((void **)&acc->keys, &acc->key_hashes, &acc->cap_keys, acc->n_keys, acc->max_entries,
                      sizeof *acc->keys))
        return -1;
    if (2 * (acc->n_keys + 1) > acc->n_key_slots) {
        if (!grow_table(&acc->key_slots, &acc->n_key_slots, &acc->cap_key_slots, acc->key_hashes, acc->n_keys))
            return -1;
        i = find_key_slot(acc, key, h);
    }
    const char *name = dfa_arena_strdup(acc->strings, key);
    const char *label = note && note->label ? dfa_arena_strdup(acc->strings, note->label) : NULL;
    if (!name || (note && note->label && !label))
        return -1;
    acc->keys[acc->n_keys] = (key_info){name, {note ? note->tag : -1, label}};
    acc->key_hashes[acc->n_keys] = h;
    acc->key_slots[i] = (slot){(uint32_t)++acc->n_keys, tag_of(h)};
    return (long)acc->n_keys - 1;
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
static dfa_status add_delta(dfa_accum *acc, const char *key, const char *field, int64_t amount,
                            const dfa_accum_note *note, size_t *entry, bool *existing, dfa_error *err)
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
    if (!room_for_one((void **)&acc->entries, &acc->hashes, &acc->cap_entries, acc->n_entries, acc->max_entries,
                      sizeof *acc->entries))
        return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
    if (2 * (acc->n_entries + 1) > acc->n_slots) {
        if (!grow(acc))
            return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
        i = find_slot(acc, key, field, h);
    }
    dfa_accum_entry *e = &acc->entries[acc->n_entries];
    long k = intern_key(acc, key, note); /* at most one key per entry: the key table cannot fill first */
    e->field = dfa_arena_strdup(acc->strings, field);
    if (k < 0 || !e->field)
        return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
    e->key = acc->keys[k].name;
    e->key_index = (uint32_t)k;
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
    return add_delta(acc, key, field, amount, NULL, &entry, &existing, err);
}

/* Each addition of a group goes straight in; what it changed in entries
 * that were there before is noted, so a rollback can take the group back. */
dfa_status dfa_accum_put(dfa_accum *acc, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    return dfa_accum_put_noted(acc, key, field, amount, NULL, err);
}

dfa_status dfa_accum_put_noted(dfa_accum *acc, const char *key, const char *field, int64_t amount,
                               const dfa_accum_note *note, dfa_error *err)
{
    size_t entry;
    bool existing;
    dfa_status st = add_delta(acc, key, field, amount, note, &entry, &existing, err);
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

void dfa_accum_begin(dfa_accum *acc)
{
    acc->n_undo = 0;
    acc->group_first_entry = acc->n_entries;
    acc->group_first_key = acc->n_keys;
}

void dfa_accum_commit(dfa_accum *acc) { acc->n_groups++; }

/* Takes back what the group added: sums first, then its new entries and
 * keys, newest first, so that each emptied slot leaves the probe sequences
 * exactly as they were before it was filled. */
void dfa_accum_rollback(dfa_accum *acc)
{
    for (size_t u = acc->n_undo; u-- > 0;)
        acc->entries[acc->undo[u].entry].amount -= acc->undo[u].amount;
    while (acc->n_entries > acc->group_first_entry) {
        const dfa_accum_entry *e = &acc->entries[acc->n_entries - 1];
        acc->slots[find_slot(acc, e->key, e->field, acc->hashes[acc->n_entries - 1])].index = 0;
        acc->n_entries--;
    }
    while (acc->n_keys > acc->group_first_key) {
        const char *name = acc->keys[acc->n_keys - 1].name;
        acc->key_slots[find_key_slot(acc, name, acc->key_hashes[acc->n_keys - 1])].index = 0;
        acc->n_keys--;
    }
    acc->n_undo = 0;
}

size_t dfa_accum_size(const dfa_accum *acc) { return acc->n_entries; }
size_t dfa_accum_groups(const dfa_accum *acc) { return acc->n_groups; }

const dfa_accum_entry *dfa_accum_entry_at(const dfa_accum *acc, size_t i)
{
    return i < acc->n_entries ? &acc->entries[i] : NULL;
}

int64_t dfa_accum_get(const dfa_accum *acc, const char *key, const char *field)
{
    const dfa_accum_entry *e = lookup(acc, key, field);
    return e ? e->amount : 0;
}

long dfa_accum_find(const dfa_accum *acc, const char *key, const char *field)
{
    const dfa_accum_entry *e = lookup(acc, key, field);
    return e ? (long)(e - acc->entries) : -1;
}

size_t dfa_accum_keys(const dfa_accum *acc) { return acc->n_keys; }
const char *dfa_accum_key(const dfa_accum *acc, size_t k) { return k < acc->n_keys ? acc->keys[k].name : NULL; }
const dfa_accum_note *dfa_accum_key_note(const dfa_accum *acc, size_t k) { return k < acc->n_keys ? &acc->keys[k].note : NULL; }

void dfa_accum_clear(dfa_accum *acc)
{
    memset(acc->slots, 0, acc->n_slots * sizeof *acc->slots);
    if (acc->n_slots > MIN_SLOTS && 8 * acc->n_entries < acc->n_slots)
        acc->n_slots /= 2; /* shrink slowly after a large batch: the next is likely smaller */
    memset(acc->key_slots, 0, acc->n_key_slots * sizeof *acc->key_slots);
    if (acc->n_key_slots > MIN_SLOTS && 8 * acc->n_keys < acc->n_key_slots)
        acc->n_key_slots /= 2;
    acc->n_entries = 0;
    acc->n_keys = 0;
    acc->n_groups = 0;
    dfa_arena_reset(acc->strings);
}
