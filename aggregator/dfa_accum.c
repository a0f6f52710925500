#include "dfa_accum.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_delta.h"

#define ARENA_CHUNK (64 * 1024)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    char data[];
} arena_chunk;

typedef struct {
    char *key, *field;
    int64_t amount;
} pending_delta;

struct dfa_accum {
    size_t max_entries, n_entries, n_events;
    dfa_accum_entry *entries;   /* in insertion order */
    uint64_t *hashes;           /* hash of each entry */
    uint32_t *slots;            /* open addressing: entry index + 1, 0 = empty */
    size_t n_slots;             /* a power of two, at least 2 * max_entries */
    arena_chunk *arena;         /* strings of entries */
    pending_delta *pending;     /* one event's deltas, before they are merged */
    size_t n_pending, cap_pending;
    arena_chunk *scratch;       /* strings of pending deltas */
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

static char *arena_strdup(arena_chunk **head, const char *s)
{
    size_t n = strlen(s) + 1;
    arena_chunk *c = *head;
    if (!c || c->used + n > ARENA_CHUNK) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        arena_chunk *nc = malloc(sizeof *nc + size);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        *head = c = nc;
    }
    char *out = c->data + c->used;
    memcpy(out, s, n);
    c->used += n;
    return out;
}

static void arena_free(arena_chunk **head)
{
    while (*head) {
        arena_chunk *next = (*head)->next;
        free(*head);
        *head = next;
    }
}

/* Empties the arena but keeps its newest chunk for reuse. */
static void arena_reset(arena_chunk **head)
{
    if (!*head)
        return;
    arena_free(&(*head)->next);
    (*head)->used = 0;
}

dfa_accum *dfa_accum_new(size_t max_entries)
{
    if (max_entries == 0 || max_entries > UINT32_MAX / 4)
        return NULL;
    dfa_accum *acc = calloc(1, sizeof *acc);
    if (!acc)
        return NULL;
    acc->max_entries = max_entries;
    acc->n_slots = 16;
    while (acc->n_slots < 2 * max_entries)
        acc->n_slots *= 2;
    acc->entries = malloc(max_entries * sizeof *acc->entries);
    acc->hashes = malloc(max_entries * sizeof *acc->hashes);
    acc->slots = calloc(acc->n_slots, sizeof *acc->slots);
    if (!acc->entries || !acc->hashes || !acc->slots) {
        dfa_accum_free(acc);
        return NULL;
    }
    return acc;
}

void dfa_accum_free(dfa_accum *acc)
{
    if (!acc)
        return;
    arena_free(&acc->arena);
    arena_free(&acc->scratch);
    free(acc->entries);
    free(acc->hashes);
    free(acc->slots);
    free(acc->pending);
    free(acc);
}

/* The slot holding (key, field), or the empty slot where it would go. */
static size_t find_slot(const dfa_accum *acc, const char *key, const char *field, uint64_t h)
{
    size_t mask = acc->n_slots - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t s = acc->slots[i];
        if (s == 0)
            return i;
        const dfa_accum_entry *e = &acc->entries[s - 1];
        if (acc->hashes[s - 1] == h && strcmp(e->key, key) == 0 && strcmp(e->field, field) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static dfa_accum_entry *lookup(const dfa_accum *acc, const char *key, const char *field)
{
    uint32_t s = acc->slots[find_slot(acc, key, field, hash_pair(key, field))];
    return s ? &acc->entries[s - 1] : NULL;
}

static bool sum_overflows(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r);
}

dfa_status dfa_accum_add(dfa_accum *acc, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    uint64_t h = hash_pair(key, field);
    size_t slot = find_slot(acc, key, field, h);
    if (acc->slots[slot]) {
        dfa_accum_entry *e = &acc->entries[acc->slots[slot] - 1];
        if (sum_overflows(e->amount, amount))
            return dfa_fail(err, DFA_ERR_LIMIT, "counter %s %s would overflow", key, field);
        e->amount += amount;
        return DFA_OK;
    }
    if (acc->n_entries == acc->max_entries)
        return dfa_fail(err, DFA_ERR_LIMIT, "accumulator full (%zu keys)", acc->max_entries);
    dfa_accum_entry *e = &acc->entries[acc->n_entries];
    e->key = arena_strdup(&acc->arena, key);
    e->field = arena_strdup(&acc->arena, field);
    if (!e->key || !e->field)
        return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
    e->amount = amount;
    acc->hashes[acc->n_entries] = h;
    acc->slots[slot] = (uint32_t)++acc->n_entries;
    return DFA_OK;
}

static dfa_status collect_pending(void *ctx, const char *key, const char *field, int64_t amount, dfa_error *err)
{
    dfa_accum *acc = ctx;
    if (acc->n_pending == acc->cap_pending) {
        size_t cap = acc->cap_pending ? acc->cap_pending * 2 : 64;
        pending_delta *np = realloc(acc->pending, cap * sizeof *np);
        if (!np)
            return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
        acc->pending = np;
        acc->cap_pending = cap;
    }
    pending_delta *d = &acc->pending[acc->n_pending];
    d->key = arena_strdup(&acc->scratch, key);
    d->field = arena_strdup(&acc->scratch, field);
    if (!d->key || !d->field)
        return dfa_fail(err, DFA_ERR_NOMEM, "accumulator: out of memory");
    d->amount = amount;
    acc->n_pending++;
    return DFA_OK;
}

/* Whether all pending deltas fit: new pairs within max_entries, no overflow.
 * Two deltas of one event on the same new pair are counted twice, which only
 * errs on the side of flushing a little early. */
static dfa_status pending_fits(const dfa_accum *acc, dfa_error *err)
{
    size_t new_pairs = 0;
    for (size_t i = 0; i < acc->n_pending; i++) {
        const pending_delta *d = &acc->pending[i];
        const dfa_accum_entry *e = lookup(acc, d->key, d->field);
        if (!e)
            new_pairs++;
        else if (sum_overflows(e->amount, d->amount))
            return dfa_fail(err, DFA_ERR_LIMIT, "counter %s %s would overflow", d->key, d->field);
    }
    if (acc->n_entries + new_pairs > acc->max_entries)
        return dfa_fail(err, DFA_ERR_LIMIT, "accumulator full (%zu keys)", acc->max_entries);
    return DFA_OK;
}

dfa_status dfa_accum_add_event(dfa_accum *acc, const dfa_event *ev, dfa_error *err)
{
    acc->n_pending = 0;
    arena_reset(&acc->scratch);
    dfa_status st = dfa_event_deltas(ev, collect_pending, acc, err);
    if (st == DFA_OK)
        st = pending_fits(acc, err);
    for (size_t i = 0; st == DFA_OK && i < acc->n_pending; i++)
        st = dfa_accum_add(acc, acc->pending[i].key, acc->pending[i].field, acc->pending[i].amount, err);
    if (st == DFA_OK)
        acc->n_events++;
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
    acc->n_entries = 0;
    acc->n_events = 0;
    arena_reset(&acc->arena);
}
