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

void dfa_ndjson_init(dfa_ndjson *r, FILE *in) { *r = (dfa_ndjson){.in = in}; }

bool dfa_ndjson_next(dfa_ndjson *r, const char **line, size_t *len)
{
    ssize_t n;
    while ((n = getline(&r->buf, &r->cap, r->in)) >= 0) {
        r->lineno++;
        size_t l = (size_t)n;
        if (l && r->buf[l - 1] == '\n')
            l--;
        if (l && r->buf[l - 1] == '\r')
            l--;
        if (blank(r->buf, l))
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

