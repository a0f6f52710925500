/* dfa-bench-produce: the C API's publishing rate (validate + idempotent
 * produce + delivery reports) on lines already in memory. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_ndjson.h"
#include "dfa_producer.h"

extern char **environ;
static atomic_llong delivered, failed;

static void on_delivery(void *ctx, const char *id, uint64_t tag, const char *error)
{
    (void)ctx, (void)id, (void)tag;
    if (error)
        atomic_fetch_add(&failed, 1);
    else
        atomic_fetch_add(&delivered, 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char **lines;
    size_t *lens, n = dfa_ndjson_read_all(argv[1], &lines, &lens);
    dfa_config *cfg = NULL;
    dfa_core *core = NULL;
    dfa_producer *p = NULL;
    dfa_error err = {0};
    if (dfa_config_load(NULL, environ, NULL, 0, &cfg, &err) ||
        dfa_core_open(dfa_config_str(cfg, "catalog"), dfa_config_str(cfg, "provinces"), &core, &err) ||
        dfa_producer_new(cfg, core, on_delivery, NULL, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    double t0 = now();
    long long refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += dfa_producer_send_json(p, lines[i], lens[i], i, NULL) != DFA_OK;
    dfa_producer_flush(p, 120000, &err);
    double secs = now() - t0;
    printf("lines=%zu delivered=%lld refused=%lld failed=%lld seconds=%.2f c_api_per_s=%.0f\n", n,
           (long long)atomic_load(&delivered), refused, (long long)atomic_load(&failed), secs, (double)n / secs);
    dfa_producer_free(p);
    dfa_ndjson_free_lines(lines, lens, n);
    dfa_core_free(core);
    dfa_config_free(cfg);
    return 0;
}
