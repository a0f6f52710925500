#include "dfa_arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    char data[];
} chunk;

struct dfa_arena {
    chunk *first, *cur; /* chunks in order; those after cur are spare */
    size_t chunk_size;
};

dfa_arena *dfa_arena_new(size_t chunk_size)
{
    dfa_arena *a = calloc(1, sizeof *a);
    if (a)
        a->chunk_size = chunk_size;
    return a;
}

void dfa_arena_free(dfa_arena *a)
{
    if (!a)
        return;
    while (a->first) {
        chunk *next = a->first->next;
        free(a->first);
        a->first = next;
    }
    free(a);
}

char *dfa_arena_alloc(dfa_arena *a, size_t n)
{
    while (a->cur && a->cur->used + n > a->cur->size && a->cur->next) {
        a->cur = a->cur->next; /* a spare chunk from an earlier batch */
        a->cur->used = 0;
    }
    chunk *c = a->cur;
    if (!c || c->used + n > c->size) {
        size_t size = n > a->chunk_size ? n : a->chunk_size;
        chunk *nc = malloc(sizeof *nc + size);
        if (!nc)
            return NULL;
        nc->used = 0, nc->size = size, nc->next = NULL;
        if (c)
            c->next = nc;
        else
            a->first = nc;
        a->cur = c = nc;
    }
    char *out = c->data + c->used;
    c->used += n;
    return out;
}

char *dfa_arena_strdup(dfa_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *out = dfa_arena_alloc(a, n);
    if (out)
        memcpy(out, s, n);
    return out;
}

void dfa_arena_reset(dfa_arena *a)
{
    a->cur = a->first;
    if (a->cur)
        a->cur->used = 0;
}
