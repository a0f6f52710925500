/* dfa-produce: validates NDJSON events and publishes the valid ones to Kafka,
 * waiting for every delivery report. Exit 0 only when every valid event was
 * acknowledged. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfa_clock.h"
#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_event.h"
#include "dfa_log.h"
#include "dfa_ndjson.h"
#include "dfa_producer.h"

extern char **environ;

#define FAILURES_LISTED 100

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig, interrupted = 1; }

typedef struct {
    bool dry_run, progress;
    atomic_ullong read, sent_ok, rejected, failed;
    const char *source; /* file being read, for messages */
} produce_run;

static void on_delivery(void *ctx, const char *event_id, uint64_t line, const char *error)
{
    produce_run *run = ctx;
    if (!error) {
        atomic_fetch_add(&run->sent_ok, 1);
        return;
    }
    /* each failure is named, up to a bound that keeps a dead broker's log readable */
    if (atomic_fetch_add(&run->failed, 1) >= FAILURES_LISTED)
        return;
    char q[256];
    dfa_log(DFA_LOG_ERROR, "not_delivered", "line=%llu event_id=%s error=%s", (unsigned long long)line, event_id,
            dfa_log_quote(error, q, sizeof q));
}

static void show_progress(produce_run *run, double started, bool final)
{
    double secs = dfa_clock_seconds() - started;
    fprintf(stderr, "\r  read %llu  sent %llu  rejected %llu  failed %llu  (%.0f/s)%s",
            (unsigned long long)atomic_load(&run->read), (unsigned long long)atomic_load(&run->sent_ok),
            (unsigned long long)atomic_load(&run->rejected), (unsigned long long)atomic_load(&run->failed),
            secs > 0 ? (double)atomic_load(&run->read) / secs : 0.0, final ? "\n" : "");
}

static void produce_stream(const dfa_core *core, dfa_producer *p, produce_run *run, FILE *in, const char *name)
{
    dfa_ndjson r;
    dfa_ndjson_init(&r, in);
    const char *line;
    size_t len;
    double started = dfa_clock_seconds(), last_shown = 0;
    while (!interrupted && dfa_ndjson_next(&r, &line, &len)) {
        unsigned long long lineno = r.lineno;
        atomic_fetch_add(&run->read, 1);
        dfa_error err = {0};
        dfa_status st;
        if (run->dry_run) {
            dfa_event *ev = NULL;
            st = dfa_event_parse(core, line, len, &ev, &err);
            dfa_event_free(ev);
        } else {
            st = dfa_producer_send_json(p, line, len, lineno, &err);
        }
        if (st != DFA_OK) {
            atomic_fetch_add(&run->rejected, 1);
            printf("%s:%llu: invalid (%s): %s\n", name, lineno, dfa_status_name(err.code), err.msg);
        }
        if (run->progress && dfa_clock_seconds() - last_shown > 0.5) {
            show_progress(run, started, false);
            last_shown = dfa_clock_seconds();
        }
    }
    dfa_ndjson_free(&r);
    if (run->progress)
        show_progress(run, started, true);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dfa-produce [--dry-run] [--timeout-ms N] [--config FILE] [--set key=value]... [FILE|-]...\n"
                 "  Validates each NDJSON line and publishes the valid events to topic.events.\n"
                 "  --dry-run      validate only, send nothing\n"
                 "  --timeout-ms   how long to wait for the last delivery reports (default 60000)\n"
                 "  exit status: 0 all valid events acknowledged and no invalid line; 1 otherwise; 2 startup error\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, 0, 'n'}, {"timeout-ms", required_argument, 0, 't'},
                                         DFA_CONFIG_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    produce_run run = {.progress = isatty(STDERR_FILENO)};
    dfa_config_args args = {0};
    int timeout_ms = 60000, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': run.dry_run = true; break;
        case 't': timeout_ms = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default:
            if (!dfa_config_args_take(&args, c, optarg)) {
                usage(stderr);
                return 2;
            }
        }
    }
    dfa_error err = {0};
    dfa_core *core = NULL;
    dfa_producer *p = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-produce", &args, environ, &core);
    if (!cfg)
        return 2;
    if (!run.dry_run && dfa_producer_new(cfg, core, on_delivery, &run, &p, &err) != DFA_OK) {
        fprintf(stderr, "dfa-produce: %s\n", err.msg);
        dfa_core_free(core);
        dfa_config_free(cfg);
        return 2;
    }
    dfa_log_init("dfa-produce", dfa_config_str(cfg, "log.level"));
    run.progress &= dfa_config_int(cfg, "producer.progress") != 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int status = 0;
    for (int i = optind; (i < argc || (i == optind && i == argc)) && !interrupted; i++) {
        const char *name = i < argc ? argv[i] : "-";
        FILE *in = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
        if (!in) {
            fprintf(stderr, "dfa-produce: %s: cannot open\n", name);
            status = 2;
            continue;
        }
        produce_stream(core, p, &run, in, strcmp(name, "-") == 0 ? "<stdin>" : name);
        if (in != stdin)
            fclose(in);
    }
    if (p && dfa_producer_flush(p, timeout_ms, &err) != DFA_OK)
        dfa_log(DFA_LOG_ERROR, "flush_incomplete", "in_flight=%llu", (unsigned long long)dfa_producer_in_flight(p));
    unsigned long long in_flight = p ? (unsigned long long)dfa_producer_in_flight(p) : 0;
    dfa_producer_free(p); /* reports whatever is still in flight as failed */
    unsigned long long read = atomic_load(&run.read), ok = atomic_load(&run.sent_ok),
                       rejected = atomic_load(&run.rejected), failed = atomic_load(&run.failed);
    dfa_log(failed || rejected || interrupted ? DFA_LOG_WARN : DFA_LOG_INFO, "summary",
            "read=%llu sent=%llu rejected=%llu failed=%llu interrupted=%d dry_run=%d", read, ok, rejected, failed,
            (int)interrupted, (int)run.dry_run);
    if (failed)
        fprintf(stderr, "dfa-produce: %llu valid events were not delivered (%llu still in flight at the end); "
                        "the first %d are listed above as event=not_delivered with their line numbers\n",
                failed, in_flight, FAILURES_LISTED);
    dfa_core_free(core);
    dfa_config_free(cfg);
    if (status)
        return status;
    bool all_acked = run.dry_run ? true : ok == read - rejected;
    return (rejected || failed || interrupted || !all_acked) ? 1 : 0;
}
