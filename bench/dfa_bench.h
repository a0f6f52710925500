/* dfa_bench: what every bench tool that replays an NDJSON file does first. */
#ifndef DFA_BENCH_H
#define DFA_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_core.h"

/* The events of one replayed file, with the configuration and core of the
 * shared startup (defaults, config file, environment). */
typedef struct {
    char **lines; /* each NUL-terminated */
    size_t *lens, n;
    dfa_config *cfg;
    dfa_core *core;
} dfa_bench_input;

/* Reads every line of path and runs the startup for program. False (with a
 * message on stderr) if the file is empty or unreadable or the startup fails.
 * Free with dfa_bench_input_free. */
bool dfa_bench_open(const char *program, const char *path, dfa_bench_input *in);
void dfa_bench_input_free(dfa_bench_input *in);

#endif
