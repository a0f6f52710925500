/* dfa_buffer: a growable string, for the renderings of the figures (CSV,
 * Markdown, HTML). A failed allocation is remembered and reported once, at
 * dfa_buffer_finish. */
#ifndef DFA_BUFFER_H
#define DFA_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *s;
    size_t n, cap;
    bool failed;
} dfa_buffer; /* zero-initialised to start */

void dfa_buffer_addf(dfa_buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends len bytes of s. */
void dfa_buffer_add(dfa_buffer *b, const char *s, size_t len);
/* The text (the caller frees it with free()), or NULL if an allocation failed
 * (the buffer is released either way). */
char *dfa_buffer_finish(dfa_buffer *b);

#endif
