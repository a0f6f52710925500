#include "dfa_bench.h"

#include <stdio.h>

#include "dfa_ndjson.h"

extern char **environ;

bool dfa_bench_open(const char *program, const char *path, dfa_bench_input *in)
{
    *in = (dfa_bench_input){0};
    in->n = dfa_ndjson_read_all(path, &in->lines, &in->lens);
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
    dfa_ndjson_free_lines(in->lines, in->lens, in->n);
    dfa_core_free(in->core);
    dfa_config_free(in->cfg);
    *in = (dfa_bench_input){0};
}
