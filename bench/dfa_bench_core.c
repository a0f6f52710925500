/* dfa-bench-core: the core's rates on an NDJSON file, in one process:
 * jansson parse alone, parse + validate (dfa_event_parse), and parse +
 * validate + deltas + accumulate. Prints one key=value line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_clock.h"
#include "dfa_accum.h"
#include "dfa_delta.h"
#include "dfa_bench.h"
#include "dfa_event.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dfa-bench-core FILE.ndjson [passes]\n");
        return 2;
    }
    int passes = argc > 2 ? atoi(argv[2]) : 3;
    dfa_bench_input in;
    if (!dfa_bench_open(argv[0], argv[1], &in))
        return 2;
    char **lines = in.lines;
    size_t *lens = in.lens, n = in.n;
    double t0 = dfa_clock_seconds();
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            json_error_t je;
            json_decref(json_loadb(lines[i], lens[i], JSON_REJECT_DUPLICATES, &je));
        }
    double t1 = dfa_clock_seconds();
    size_t valid = 0;
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            dfa_event *ev = NULL;
            if (dfa_event_parse(in.core, lines[i], lens[i], &ev, NULL) == DFA_OK)
                valid++;
            dfa_event_free(ev);
        }
    double t2 = dfa_clock_seconds();
    dfa_accum *acc = dfa_accum_new(2000000);
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            dfa_event *ev = NULL;
            if (dfa_event_parse(in.core, lines[i], lens[i], &ev, NULL) == DFA_OK &&
                dfa_delta_accumulate(acc, ev, 1, NULL) == DFA_ERR_LIMIT) {
                dfa_accum_clear(acc);
                dfa_delta_accumulate(acc, ev, 1, NULL);
            }
            dfa_event_free(ev);
            if ((i + 1) % 5000 == 0)
                dfa_accum_clear(acc); /* batches as the consumer makes them */
        }
    double t3 = dfa_clock_seconds();
    double total = (double)n * passes;
    printf("events=%zu passes=%d jansson_parse_per_s=%.0f parse_validate_per_s=%.0f parse_validate_deltas_per_s=%.0f "
           "valid_share=%.3f\n",
           n, passes, total / (t1 - t0), total / (t2 - t1), total / (t3 - t2), (double)valid / total);
    dfa_accum_free(acc);
    dfa_bench_input_free(&in);
    return 0;
}
