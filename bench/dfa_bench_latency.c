/* dfa-bench-latency: event-to-visible latency at a fixed rate. Publishes
 * background events from a file at RATE/s through the C API and, every 50 ms,
 * a probe event (a distinct donor id nobody else uses); a second thread polls
 * Redis every millisecond for each probe's id and records when it appears. */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfa_clock.h"
#include "dfa_bench_producer.h"

#define MAX_PROBES 4096
#define PROBE_KEY "dfa:{p:01}:d:D2026-01-15:oda_donors@01"

static double sent_at[MAX_PROBES], seen_at[MAX_PROBES];
static atomic_int n_probes;
static atomic_bool done;
static int redis_port;

static void *watch(void *arg)
{
    (void)arg;
    redisContext *c = redisConnect("127.0.0.1", redis_port);
    int next = 0;
    while (!atomic_load(&done) || next < atomic_load(&n_probes)) {
        int n = atomic_load(&n_probes);
        for (int i = next; i < n; i++) {
            if (seen_at[i] > 0)
                continue;
            redisReply *r = redisCommand(c, "HEXISTS " PROBE_KEY " probe-%d", i);
            if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 1)
                seen_at[i] = dfa_clock_seconds();
            freeReplyObject(r);
        }
        while (next < n && seen_at[next] > 0)
            next++;
        if (atomic_load(&done) && dfa_clock_seconds() - sent_at[n ? n - 1 : 0] > 30)
            break;
        usleep(1000);
    }
    redisFree(c);
    return NULL;
}

static void ignore(void *ctx, const char *id, uint64_t tag, const char *e) { (void)ctx, (void)id, (void)tag, (void)e; }

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: dfa-bench-latency FILE RATE SECONDS REDIS_PORT\n");
        return 2;
    }
    double rate = atof(argv[2]), seconds = atof(argv[3]);
    redis_port = atoi(argv[4]);
    dfa_bench_input in;
    if (!dfa_bench_open(argv[0], argv[1], &in))
        return 2;
    char **lines = in.lines;
    size_t *lens = in.lens, n = in.n;
    dfa_producer *p = dfa_bench_producer(&in, ignore, NULL);
    if (!p)
        return 2;
    pthread_t watcher;
    pthread_create(&watcher, NULL, watch, NULL);
    double start = dfa_clock_seconds(), next_probe = start;
    size_t sent = 0;
    while (dfa_clock_seconds() - start < seconds) {
        double due = start + (double)sent / rate;
        if (dfa_clock_seconds() < due) {
            usleep(200);
            continue;
        }
        dfa_producer_send_json(p, lines[sent % n], lens[sent % n], sent, NULL);
        sent++;
        if (dfa_clock_seconds() >= next_probe && atomic_load(&n_probes) < MAX_PROBES) {
            int k = atomic_load(&n_probes);
            char probe[512];
            snprintf(probe, sizeof probe,
                     "{\"event_id\":\"probe-%d-%ld\",\"type\":\"oda.allocated\",\"occurred_at\":\"2026-01-15T10:00:00+07:00\","
                     "\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"donor_id\":\"probe-%d\","
                     "\"sector\":\"health\",\"amount\":{\"amount\":1,\"currency\":\"VND\"}}}",
                     k, (long)start, k);
            sent_at[k] = dfa_clock_seconds();
            dfa_producer_send_json(p, probe, strlen(probe), 0, NULL);
            atomic_store(&n_probes, k + 1);
            next_probe += 0.05;
        }
    }
    double elapsed = dfa_clock_seconds() - start;
    atomic_store(&done, true);
    pthread_join(watcher, NULL);
    int k = atomic_load(&n_probes), seen = 0;
    double *lat = calloc((size_t)k + 1, sizeof *lat);
    for (int i = 0; i < k; i++)
        if (seen_at[i] > 0)
            lat[seen++] = seen_at[i] - sent_at[i];
    qsort(lat, (size_t)seen, sizeof *lat, cmp);
    printf("rate_target=%.0f rate_achieved=%.0f probes=%d seen=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", rate,
           (double)sent / elapsed, k, seen, seen ? lat[seen / 2] * 1000 : -1, seen ? lat[(int)(seen * 0.99)] * 1000 : -1,
           seen ? lat[seen - 1] * 1000 : -1);
    dfa_producer_flush(p, 30000, NULL);
    dfa_producer_free(p);
    dfa_bench_input_free(&in);
    return seen == k ? 0 : 1;
}
