/* dfa_arena: strings that live as long as one batch, carved out of chunks
 * that are kept from batch to batch. Emptying it costs nothing, and the
 * allocator never sees a batch's worth of frees: large frees make glibc
 * consolidate its small free lists, which showed in the consumer's profile. */
#ifndef DFA_ARENA_H
#define DFA_ARENA_H

#include <stddef.h>

typedef struct dfa_arena dfa_arena;

/* NULL on allocation failure. Chunks hold chunk_size bytes (larger requests
 * get a chunk of their own). Free with dfa_arena_free. */
dfa_arena *dfa_arena_new(size_t chunk_size);
void dfa_arena_free(dfa_arena *a);

/* n bytes (not aligned: for strings), or a copy of s; NULL on allocation
 * failure. Owned by the arena, valid until the next reset. */
char *dfa_arena_alloc(dfa_arena *a, size_t n);
char *dfa_arena_strdup(dfa_arena *a, const char *s);

/* Empties the arena, keeping its chunks for reuse. */
void dfa_arena_reset(dfa_arena *a);

#endif
