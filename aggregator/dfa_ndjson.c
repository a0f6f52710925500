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

size_t dfa_ndjson_read_all(const char *path, char ***lines, size_t **lens)
{
    FILE *f = fopen(path, "r");
    *lines = NULL;
    *lens = NULL;
    if (!f)
        return 0;
    dfa_ndjson r;
    dfa_ndjson_init(&r, f);
    size_t n = 0, cap = 0, len;
    const char *line;
    while (dfa_ndjson_next(&r, &line, &len)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char **nl = realloc(*lines, cap * sizeof **lines);
            size_t *nn = realloc(*lens, cap * sizeof **lens);
            if (!nl || !nn) {
                *lines = nl ? nl : *lines;
                *lens = nn ? nn : *lens;
                break;
            }
            *lines = nl, *lens = nn;
        }
        (*lines)[n] = strndup(line, len);
        (*lens)[n++] = len;
    }
    dfa_ndjson_free(&r);
    fclose(f);
    return n;
}

void dfa_ndjson_free_lines(char **lines, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
}
