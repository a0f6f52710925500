#include "dfa_ndjson.h"

#include <stdlib.h>
#include <string.h>

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* A line's length without its newline and the CR before it; 0 when it is blank. */
static size_t content_length(const char *s, size_t l)
{
    if (l && s[l - 1] == '\n')
        l--;
    if (l && s[l - 1] == '\r')
        l--;
    return blank(s, l) ? 0 : l;
}

void dfa_ndjson_init(dfa_ndjson *r, FILE *in) { *r = (dfa_ndjson){.in = in}; }

bool dfa_ndjson_next(dfa_ndjson *r, const char **line, size_t *len)
{
    ssize_t n;
    while ((n = getline(&r->buf, &r->cap, r->in)) >= 0) {
        r->lineno++;
        size_t l = content_length(r->buf, (size_t)n);
        if (!l)
            continue;
        *line = r->buf;
        *len = l;
        return true;
    }
    return false;
}

void dfa_ndjson_free(dfa_ndjson *r)
{
    free(r->buf);
    r->buf = NULL;
}


bool dfa_ndjson_next_in(const char *buf, size_t len, size_t *pos, size_t *lineno, const char **line, size_t *line_len)
{
    while (*pos < len) {
        const char *start = buf + *pos, *nl = memchr(start, '\n', len - *pos);
        size_t n = nl ? (size_t)(nl - start) + 1 : len - *pos;
        *pos += n;
        ++*lineno;
        size_t l = content_length(start, n);
        if (!l)
            continue;
        *line = start;
        *line_len = l;
        return true;
    }
    return false;
}
