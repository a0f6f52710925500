#include "dfa_buffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(dfa_buffer *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->n + more + 1 <= b->cap)
        return true;
    size_t cap = (b->cap ? b->cap * 2 : 4096) + more;
    char *ns = realloc(b->s, cap);
    if (!ns) {
        b->failed = true;
        return false;
    }
    b->s = ns, b->cap = cap;
    return true;
}

void dfa_buffer_addf(dfa_buffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void dfa_buffer_add(dfa_buffer *b, const char *s, size_t len)
{
    if (!reserve(b, len))
        return;
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

char *dfa_buffer_finish(dfa_buffer *b)
{
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}
