#include "dfa_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_ndjson.h"

extern char **environ;

/* Every non-blank line of a file, to replay it from memory: *lines (each
 * NUL-terminated) and the arrays belong to the caller (free_lines). Returns
 * the count; 0 if the file cannot be read. */
static size_t read_all(const char *path, char ***lines, size_t **lens)
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

static void free_lines(char **lines, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
}

bool dfa_bench_open(const char *program, const char *path, dfa_bench_input *in)
{
    *in = (dfa_bench_input){0};
    in->n = read_all(path, &in->lines, &in->lens);
    if (!in->n) {
        fprintf(stderr, "%s: no events in %s\n", program, path);
        return false;
    }
    dfa_config_args args = {0};
    in->cfg = dfa_config_startup(program, &args, environ, &in->core);
    if (!in->cfg) {
        dfa_bench_input_free(in);
        return false;
    }
    return true;
}

void dfa_bench_input_free(dfa_bench_input *in)
{
    free_lines(in->lines, in->lens, in->n);
    dfa_core_free(in->core);
    dfa_config_free(in->cfg);
    *in = (dfa_bench_input){0};
}
