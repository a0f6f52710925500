/* dfa-loadgen: a reproducible stream of realistic events, with chosen shares
 * of duplicates, retractions, late events, old province names and invalid
 * lines, and the ground truth the pipeline must reach: the exact counters
 * after dedupe and retractions, and how many lines are invalid. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfa_accum.h"
#include "dfa_clock.h"
#include "dfa_config.h"
#include "dfa_delta.h"
#include "dfa_event.h"
#include "dfa_gen.h"
#include "dfa_log.h"
#include "dfa_loadgen_sink.h"

extern char **environ;

#define LINE_MAX_BYTES 4096
#define RING 8192 /* recent valid lines that duplicates and retractions draw on */

typedef struct {
    long long count;
    uint64_t seed;
    int year_from, year_to;
    int pct_dup, pct_retract, pct_late, pct_old, pct_invalid;
    double rate;
    const char *output, *truth;
    bool to_kafka;
    long long truth_max_keys;
} loadgen_opts;

typedef struct {
    char text[LINE_MAX_BYTES];
    bool is_add, retracted;
} ring_line;

typedef struct {
    long long lines, valid_adds, retractions, duplicates, invalid, late;
} loadgen_counts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dfa-loadgen [options]\n"
            "  --count N          lines to write (default 10000)\n"
            "  --seed S           random seed (default 1); same seed, same stream\n"
            "  --years A-B        years the events happen in (default 2023-2026)\n"
            "  --duplicates P     percent of lines that repeat an earlier event (default 3)\n"
            "  --retractions P    percent that retract an earlier event (default 2)\n"
            "  --late P           percent that happened 1 to 6 months before their neighbours (default 5)\n"
            "  --old-names P      percent naming the province as written then (default 30)\n"
            "  --invalid P        percent of invalid lines (default 1)\n"
            "  --rate R           lines per second at most (default: as fast as possible)\n"
            "  --output FILE      NDJSON output (default stdout)\n"
            "  --kafka            publish to Kafka (topic.events) instead of writing NDJSON\n"
            "  --truth FILE       write the ground truth as JSON\n"
            "  --config FILE, --set key=value   configuration (see docs/configuration.md)\n");
}

static bool parse_pct(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 100)
        return false;
    *out = (int)v;
    return true;
}

static dfa_status truth_apply(const dfa_core *core, dfa_accum *truth, const char *text, bool negate, dfa_error *err)
{
    dfa_event *ev = NULL;
    dfa_status st = dfa_event_parse(core, text, strlen(text), &ev, err);
    if (st == DFA_OK)
        st = dfa_delta_accumulate(truth, ev, negate ? -1 : 1, err); /* a retraction cancels it */
    dfa_event_free(ev);
    return st;
}

static int write_truth(const char *path, const dfa_accum *truth, const loadgen_counts *c, const loadgen_opts *o)
{
    json_t *counters = json_object();
    for (size_t i = 0; i < dfa_accum_size(truth); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(truth, i);
        if (e->amount == 0)
            continue;
        json_t *h = json_object_get(counters, e->key);
        if (!h)
            json_object_set_new(counters, e->key, h = json_object());
        json_object_set_new(h, e->field, json_integer(e->amount));
    }
    json_t *root = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "seed", (json_int_t)o->seed, "lines",
                             (json_int_t)c->lines, "valid_adds", (json_int_t)c->valid_adds, "retractions",
                             (json_int_t)c->retractions, "duplicates", (json_int_t)c->duplicates, "invalid",
                             (json_int_t)c->invalid, "late", (json_int_t)c->late, "counted_events",
                             (json_int_t)(c->valid_adds - c->retractions), "counters", counters);
    int rc = json_dump_file(root, path, JSON_SORT_KEYS | JSON_INDENT(1));
    json_decref(root);
    return rc;
}

/* Paces output to opts->rate lines per second. */
static void pace(const loadgen_opts *o, long long written, double start)
{
    if (o->rate <= 0)
        return;
    double elapsed = dfa_clock_seconds() - start;
    double due = (double)written / o->rate;
    if (due > elapsed)
        usleep((useconds_t)((due - elapsed) * 1e6));
}

/* Chooses what line i is and writes it into line; returns its kind. */
typedef enum { LINE_ADD, LINE_DUP, LINE_RETRACT, LINE_INVALID } line_kind;

static line_kind next_line(dfa_gen *gen, const loadgen_opts *o, long long i, ring_line *ring, long long ring_n,
                           char *line, bool *late, size_t *victim)
{
    char id[48];
    snprintf(id, sizeof id, "lg%llu-%lld", (unsigned long long)o->seed, i);
    uint64_t roll = dfa_gen_below(gen, 100);
    *late = false;
    if (roll < (uint64_t)o->pct_invalid) {
        dfa_gen_invalid(gen, id, line, LINE_MAX_BYTES);
        return LINE_INVALID;
    }
    roll -= (uint64_t)o->pct_invalid;
    long long window = ring_n < RING ? ring_n : RING;
    if (window > 0 && roll < (uint64_t)o->pct_dup) {
        memcpy(line, ring[dfa_gen_below(gen, (uint64_t)window)].text, LINE_MAX_BYTES);
        return LINE_DUP;
    }
    roll -= (uint64_t)o->pct_dup;
    if (window > 0 && roll < (uint64_t)o->pct_retract) {
        size_t v = dfa_gen_below(gen, (uint64_t)window);
        for (long long tries = 0;
             tries < window && (!ring[v].is_add || ring[v].retracted || !dfa_gen_may_retract(gen, ring[v].text)); tries++)
            v = (v + 1) % (size_t)window;
        if (ring[v].is_add && !ring[v].retracted && dfa_gen_may_retract(gen, ring[v].text)) {
            *victim = v;
            dfa_gen_retraction(ring[v].text, id, line, LINE_MAX_BYTES);
            return LINE_RETRACT;
        }
    }
    /* events arrive roughly in time order; a late one happened months earlier */
    int64_t first = dfa_date_to_days((dfa_date){o->year_from, 1, 1});
    int64_t last = dfa_date_to_days((dfa_date){o->year_to, 12, 31});
    int64_t day = first + (last - first) * i / (o->count > 1 ? o->count - 1 : 1) + (int64_t)dfa_gen_below(gen, 3);
    if (dfa_gen_below(gen, 100) < (uint64_t)o->pct_late) {
        day -= 30 + (int64_t)dfa_gen_below(gen, 150);
        *late = true;
    }
    if (day < first)
        day = first;
    if (day > last)
        day = last;
    dfa_gen_event_on(gen, id, dfa_date_from_days(day), line, LINE_MAX_BYTES);
    return LINE_ADD;
}

static int run(const dfa_core *core, const loadgen_opts *o, dfa_loadgen_sink *sink)
{
    dfa_gen_options gopt = {.seed = o->seed, .year_from = o->year_from, .year_to = o->year_to, .share_old_names = o->pct_old};
    dfa_gen *gen = dfa_gen_new(core, &gopt);
    ring_line *ring = calloc(RING, sizeof *ring);
    dfa_accum *truth = o->truth ? dfa_accum_new((size_t)o->truth_max_keys) : NULL;
    if (!gen || !ring || (o->truth && !truth)) {
        fprintf(stderr, "dfa-loadgen: out of memory\n");
        return 2;
    }
    loadgen_counts c = {0};
    long long ring_n = 0;
    char line[LINE_MAX_BYTES];
    double start = dfa_clock_seconds();
    int rc = 0;
    for (long long i = 0; i < o->count && rc == 0; i++) {
        bool late;
        size_t victim = 0;
        line_kind kind = next_line(gen, o, i, ring, ring_n, line, &late, &victim);
        dfa_error err = {0};
        dfa_status st = DFA_OK;
        if (kind == LINE_ADD || kind == LINE_RETRACT) {
            if (truth)
                st = truth_apply(core, truth, kind == LINE_ADD ? line : ring[victim].text, kind == LINE_RETRACT, &err);
            ring_line *slot = &ring[ring_n++ % RING];
            if (kind == LINE_RETRACT)
                ring[victim].retracted = true;
            memcpy(slot->text, line, LINE_MAX_BYTES);
            slot->is_add = kind == LINE_ADD;
            slot->retracted = false;
        }
        if (st != DFA_OK) {
            fprintf(stderr, "dfa-loadgen: ground truth: %s\n", err.msg);
            rc = 2;
            break;
        }
        c.valid_adds += kind == LINE_ADD;
        c.retractions += kind == LINE_RETRACT;
        c.duplicates += kind == LINE_DUP;
        c.invalid += kind == LINE_INVALID;
        c.late += late;
        c.lines++;
        if (dfa_loadgen_sink_write(sink, line, strlen(line)) != 0)
            rc = 1;
        pace(o, c.lines, start);
    }
    if (dfa_loadgen_sink_close(sink) != 0)
        rc = rc ? rc : 1;
    if (rc == 0 && truth && write_truth(o->truth, truth, &c, o) != 0) {
        fprintf(stderr, "dfa-loadgen: %s: cannot write\n", o->truth);
        rc = 2;
    }
    dfa_log(DFA_LOG_INFO, "loadgen_done", "lines=%lld valid_adds=%lld retractions=%lld duplicates=%lld invalid=%lld late=%lld",
            c.lines, c.valid_adds, c.retractions, c.duplicates, c.invalid, c.late);
    dfa_accum_free(truth);
    free(ring);
    dfa_gen_free(gen);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, 0, 'n'},   {"seed", required_argument, 0, 'S'},
        {"years", required_argument, 0, 'y'},   {"duplicates", required_argument, 0, 'd'},
        {"retractions", required_argument, 0, 'r'}, {"late", required_argument, 0, 'l'},
        {"old-names", required_argument, 0, 'o'}, {"invalid", required_argument, 0, 'i'},
        {"rate", required_argument, 0, 'R'},    {"output", required_argument, 0, 'O'},
        {"truth", required_argument, 0, 't'},   {"kafka", no_argument, 0, 'k'},
        DFA_CONFIG_LONG_OPTIONS,                {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    loadgen_opts o = {.count = 10000, .seed = 1, .year_from = 2023, .year_to = 2026, .pct_dup = 3, .pct_retract = 2,
                      .pct_late = 5, .pct_old = 30, .pct_invalid = 1, .truth_max_keys = 20000000};
    dfa_config_args args = {0};
    int ch;
    bool ok = true;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': o.count = atoll(optarg); ok &= o.count > 0; break;
        case 'S': o.seed = strtoull(optarg, NULL, 10); break;
        case 'y': ok &= sscanf(optarg, "%d-%d", &o.year_from, &o.year_to) == 2 && o.year_from >= DFA_YEAR_MIN &&
                        o.year_to <= DFA_YEAR_MAX && o.year_from <= o.year_to; break;
        case 'd': ok &= parse_pct(optarg, &o.pct_dup); break;
        case 'r': ok &= parse_pct(optarg, &o.pct_retract); break;
        case 'l': ok &= parse_pct(optarg, &o.pct_late); break;
        case 'o': ok &= parse_pct(optarg, &o.pct_old); break;
        case 'i': ok &= parse_pct(optarg, &o.pct_invalid); break;
        case 'R': o.rate = atof(optarg); ok &= o.rate > 0; break;
        case 'O': o.output = optarg; break;
        case 't': o.truth = optarg; break;
        case 'k': o.to_kafka = true; break;
        case 'h': usage(stdout); return 0;
        default: ok &= dfa_config_args_take(&args, ch, optarg);
        }
    }
    if (!ok || optind != argc || o.pct_dup + o.pct_retract + o.pct_invalid > 100) {
        usage(stderr);
        return 2;
    }
    dfa_error err = {0};
    dfa_core *core = NULL;
    dfa_loadgen_sink *sink = NULL;
    int rc = 2;
    dfa_config *cfg = dfa_config_startup("dfa-loadgen", &args, environ, &core);
    if (cfg && dfa_loadgen_sink_open(cfg, o.to_kafka, o.output, &sink, &err) != DFA_OK) {
        fprintf(stderr, "dfa-loadgen: %s\n", err.msg);
    } else if (cfg) {
        dfa_log_init("dfa-loadgen", dfa_config_str(cfg, "log.level"));
        rc = run(core, &o, sink);
    }
    dfa_core_free(core);
    dfa_config_free(cfg);
    return rc;
}
