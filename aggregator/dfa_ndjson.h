/* dfa_ndjson: reading NDJSON input one event per line, as every program that
 * takes events from files does: the newline (and a CR before it) stripped,
 * blank lines skipped, line numbers counted from 1. */
#ifndef DFA_NDJSON_H
#define DFA_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *in;      /* borrowed */
    char *buf;     /* owned; freed by dfa_ndjson_free */
    size_t cap;
    size_t lineno; /* of the line last returned */
} dfa_ndjson;

void dfa_ndjson_init(dfa_ndjson *r, FILE *in);
/* The next non-blank line; false at the end of input or on a read error
 * (ferror(r->in) tells which). *line stays valid until the next call. */
bool dfa_ndjson_next(dfa_ndjson *r, const char **line, size_t *len);
void dfa_ndjson_free(dfa_ndjson *r);

/* The same lines out of len bytes in memory (an HTTP body): from *pos, the
 * next non-blank line as a part of buf (*line, *line_len: not NUL-terminated,
 * borrowed from buf); *pos and *lineno (of the line returned) advance. False at
 * the end. Start with *pos = 0 and *lineno = 0. */
bool dfa_ndjson_next_in(const char *buf, size_t len, size_t *pos, size_t *lineno, const char **line, size_t *line_len);


#endif
