/* dfa-bench-produce: the C API's publishing rate (validate + idempotent
 * produce + delivery reports) on lines already in memory. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_clock.h"
#include "dfa_bench_producer.h"

static atomic_llong delivered, failed;

static void on_delivery(void *ctx, const char *id, uint64_t tag, const char *error)
{
    (void)ctx, (void)id, (void)tag;
    if (error)
        atomic_fetch_add(&failed, 1);
    else
        atomic_fetch_add(&delivered, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dfa_bench_input in;
    if (!dfa_bench_open(argv[0], argv[1], &in))
        return 2;
    char **lines = in.lines;
    size_t *lens = in.lens, n = in.n;
    dfa_producer *p = dfa_bench_producer(&in, on_delivery, NULL);
    if (!p)
        return 2;
    double t0 = dfa_clock_seconds();
    long long refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += dfa_producer_send_json(p, lines[i], lens[i], i, NULL) != DFA_OK;
    dfa_producer_flush(p, 120000, NULL);
    double secs = dfa_clock_seconds() - t0;
    printf("lines=%zu delivered=%lld refused=%lld failed=%lld seconds=%.2f c_api_per_s=%.0f\n", n,
           (long long)atomic_load(&delivered), refused, (long long)atomic_load(&failed), secs, (double)n / secs);
    dfa_producer_free(p);
    dfa_bench_input_free(&in);
    return 0;
}
