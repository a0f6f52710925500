/* dfa-check: lets a department test an NDJSON or CSV export before sending it.
 * Every invalid line is reported with its number and reason; --explain shows
 * what each valid event would count and where. Exit 0 only if all are valid. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_accum.h"
#include "dfa_delta.h"
#include "dfa_csv.h"
#include "dfa_event.h"
#include "dfa_ndjson.h"
#include "dfa_text.h"

extern char **environ;

typedef struct {
    bool explain, json;
    size_t lines, valid, invalid;
    dfa_accum *totals; /* non-NULL with --totals */
} check_run;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dfa-check [--explain] [--json] [--format ndjson|csv] [--config FILE] [--set key=value]... [FILE|-]...\n"
            "  Validates events from FILEs or stdin: NDJSON (one JSON object per line), or CSV\n"
            "  (a header row, then one event per row; docs/events.md) for FILEs named .csv.\n"
            "  --format    read every input as ndjson or csv, whatever its name\n"
            "  --explain   for each valid event: its provinces, periods and counter deltas\n"
            "  --json      one JSON object per line on stdout instead of text\n"
            "  --totals    at the end, the national total of each metric per month\n"
            "  exit status: 0 all lines valid, 1 some invalid, 2 usage or startup error\n");
}

static dfa_status print_delta_text(void *ctx, const dfa_delta *d, dfa_error *err)
{
    (void)ctx, (void)err;
    printf("    HINCRBY %s %s %lld\n", d->key, d->field, (long long)d->amount);
    return DFA_OK;
}

static dfa_status append_delta_json(void *ctx, const dfa_delta *d, dfa_error *err)
{
    if (json_array_append_new(ctx, json_pack("{s:s,s:s,s:I}", "key", d->key, "field", d->field, "amount", (json_int_t)d->amount)))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    return DFA_OK;
}

static json_t *unit_json(const dfa_unit *u)
{
    return json_pack("{s:s,s:s,s:s}", "unit_id", u->unit_id, "code", u->code, "name", u->name);
}

static json_t *periods_json(const dfa_instant *at)
{
    json_t *p = json_object();
    char id[DFA_PERIOD_ID_MAX];
    for (int k = 0; k < DFA_PERIOD__COUNT; k++)
        if (dfa_period_id((dfa_period_kind)k, at->local, id))
            json_object_set_new(p, dfa_period_kind_name((dfa_period_kind)k), json_string(id));
    return p;
}

static void explain_json(const dfa_event *ev, json_t *out)
{
    const dfa_instant *at = dfa_event_time(ev);
    char local[32];
    snprintf(local, sizeof local, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", at->local.year, at->local.month,
             at->local.day, at->local_seconds / 3600, at->local_seconds / 60 % 60, at->local_seconds % 60);
    json_t *deltas = json_array();
    dfa_event_deltas(ev, append_delta_json, deltas, NULL);
    json_object_set_new(out, "event_id", json_string(dfa_event_id(ev)));
    json_object_set_new(out, "type", json_string(dfa_event_type_of(ev)->name));
    json_object_set_new(out, "op", json_string(dfa_event_is_retraction(ev) ? "retract" : "add"));
    json_object_set_new(out, "local_time", json_string(local));
    json_object_set_new(out, "province", json_pack("{s:o,s:o}", "current", unit_json(dfa_event_current_unit(ev)),
                                                   "original", unit_json(dfa_event_original_unit(ev))));
    json_object_set_new(out, "periods", periods_json(at));
    json_object_set_new(out, "deltas", deltas);
}

static void explain_text(const dfa_event *ev)
{
    const dfa_unit *cur = dfa_event_current_unit(ev), *orig = dfa_event_original_unit(ev);
    const dfa_instant *at = dfa_event_time(ev);
    printf("  event %s: %s%s\n", dfa_event_id(ev), dfa_event_type_of(ev)->name,
           dfa_event_is_retraction(ev) ? " (retraction: every delta negated)" : "");
    printf("  province today: %s %s; unit in force then: %s %s\n", cur->code, cur->name, orig->unit_id, orig->name);
    printf("  local time (Asia/Ho_Chi_Minh): %04d-%02d-%02d %02d:%02d:%02d\n", at->local.year, at->local.month,
           at->local.day, at->local_seconds / 3600, at->local_seconds / 60 % 60, at->local_seconds % 60);
    printf("  periods:");
    char id[DFA_PERIOD_ID_MAX];
    for (int k = 0; k < DFA_PERIOD__COUNT; k++)
        if (dfa_period_id((dfa_period_kind)k, at->local, id))
            printf(" %s=%s", dfa_period_kind_name((dfa_period_kind)k), id);
    printf("\n  deltas:\n");
    dfa_event_deltas(ev, print_delta_text, NULL, NULL);
}

/* Text fit for a line of output or a JSON string: returned as it is when it
 * is valid UTF-8 without control characters (error messages are built so),
 * else escaped into buf (cap bytes). Checked here too because one bad byte
 * would make jansson refuse the whole line's object, or let a message start
 * a line of its own. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    return dfa_text_is_plain(s, n) ? s : dfa_text_escape(s, n, buf, cap);
}

/* {"code": ..., "message": ...} for an invalid line, never NULL unless out of memory. */
static json_t *error_json(const dfa_error *err)
{
    char buf[4 * DFA_ERROR_MSG_MAX];
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(dfa_status_name(err->code)));
    json_object_set_new(e, "message", json_string(printable(err->msg, buf, sizeof buf)));
    return e;
}

static void report_json(const check_run *run, const char *name, size_t lineno, const dfa_event *ev,
                        const dfa_error *err)
{
    if (ev && !run->explain)
        return;
    char buf[1024];
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(dfa_text_is_utf8(name, strlen(name)) ? name
                                               : dfa_text_escape(name, strlen(name), buf, sizeof buf)));
    json_object_set_new(o, "line", json_integer((json_int_t)lineno));
    json_object_set_new(o, "valid", json_boolean(ev != NULL));
    if (!ev)
        json_object_set_new(o, "error", error_json(err));
    else
        explain_json(ev, o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

/* name is the file name as printed: escaped by the caller. */
static void report_line(const check_run *run, const char *name, size_t lineno, const dfa_event *ev,
                        const dfa_error *err)
{
    char buf[4 * DFA_ERROR_MSG_MAX];
    if (!ev) {
        printf("%s:%zu: invalid (%s): %s\n", name, lineno, dfa_status_name(err->code),
               printable(err->msg, buf, sizeof buf));
    } else if (run->explain) {
        printf("%s:%zu: valid\n", name, lineno);
        explain_text(ev);
    }
}

/* Counts the event or the error and prints it in the chosen format. */
static void report(check_run *run, const char *name, const char *shown_name, size_t lineno, const dfa_event *ev,
                   const dfa_error *err)
{
    run->lines++;
    if (ev)
        run->valid++;
    else
        run->invalid++;
    if (run->json)
        report_json(run, name, lineno, ev, err);
    else
        report_line(run, shown_name, lineno, ev, err);
}

static int compare_names(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Sums the month buckets' total rows ("metric@unit", no breakdown, no currency) by month and row, over
 * all provinces: the accumulator's key is the month, its field the row. */
static dfa_status add_total(void *ctx, const dfa_delta *d, dfa_error *err)
{
    if (d->kind != DFA_DELTA_COUNTER || d->bucket_kind != DFA_PERIOD_MONTH || strchr(d->row, '|') || d->row[0] == '_')
        return DFA_OK;
    return dfa_accum_add(ctx, d->bucket, d->row, d->amount, err);
}

/* Validates one event's bytes and reports it: 0, or -1 when --totals cannot go on. */
static int check_event(const dfa_core *core, check_run *run, const char *name, const char *shown_name, size_t lineno,
                       const char *text, size_t len)
{
    dfa_event *ev = NULL;
    dfa_error err = {0};
    if (dfa_event_parse(core, text, len, &ev, &err) == DFA_OK && run->totals &&
        dfa_event_deltas(ev, add_total, run->totals, &err) != DFA_OK) {
        fprintf(stderr, "dfa-check: %s:%zu: --totals: %s\n", shown_name, lineno, err.msg);
        dfa_event_free(ev);
        return -1;
    }
    report(run, name, shown_name, lineno, ev, &err);
    dfa_event_free(ev);
    return 0;
}

static int check_ndjson(const dfa_core *core, check_run *run, FILE *in, const char *name, const char *shown_name)
{
    dfa_ndjson r;
    dfa_ndjson_init(&r, in);
    const char *line;
    size_t len;
    int rc = 0;
    while (rc == 0 && dfa_ndjson_next(&r, &line, &len))
        rc = check_event(core, run, name, shown_name, r.lineno, line, len);
    dfa_ndjson_free(&r);
    return rc ? rc : ferror(in) ? -1 : 0;
}

/* Each row becomes the event object dfa_csv builds, validated as the bytes
 * jansson writes of it: the same validation as an NDJSON line. */
static int check_csv(const dfa_core *core, check_run *run, FILE *in, const char *name, const char *shown_name)
{
    dfa_csv *r = dfa_csv_from_file(dfa_core_catalog(core), in);
    if (!r)
        return -1;
    json_t *obj;
    size_t lineno;
    dfa_error err = {0};
    dfa_csv_result res;
    int rc = 0;
    while (rc == 0 && (res = dfa_csv_next(r, &obj, &lineno, &err)) != DFA_CSV_END) {
        if (res == DFA_CSV_STOP && err.code == DFA_ERR_IO)
            rc = -1;
        else if (res != DFA_CSV_EVENT)
            report(run, name, shown_name, lineno, NULL, &err);
        else {
            char *text = json_dumps(obj, JSON_COMPACT);
            json_decref(obj);
            if (!text) {
                rc = -1;
                break;
            }
            rc = check_event(core, run, name, shown_name, lineno, text, strlen(text));
            free(text);
        }
    }
    dfa_csv_free(r);
    return rc;
}

static int check_stream(const dfa_core *core, check_run *run, FILE *in, const char *name, bool csv)
{
    char name_buf[1024]; /* a file name with a newline must not start a line of its own */
    const char *shown_name = printable(name, name_buf, sizeof name_buf);
    return csv ? check_csv(core, run, in, name, shown_name) : check_ndjson(core, run, in, name, shown_name);
}

/* --format, or else the name: a .csv file is CSV, anything else (stdin included) NDJSON. */
static bool is_csv(const char *format, const char *name)
{
    if (format)
        return strcmp(format, "csv") == 0;
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

/* The month totals summed over the units too, printed sorted by month and metric. */
static void print_totals(const dfa_accum *acc)
{
    json_t *sums = json_object();
    for (size_t i = 0; i < dfa_accum_size(acc); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(acc, i);
        const char *at = strchr(e->field, '@');
        if (!at)
            continue;
        char name[160];
        snprintf(name, sizeof name, "%s %.*s", dfa_accum_key(acc, e->key_index), (int)(at - e->field), e->field);
        json_t *v = json_object_get(sums, name);
        json_object_set_new(sums, name, json_integer((v ? json_integer_value(v) : 0) + e->amount));
    }
    size_t n = json_object_size(sums), k = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    const char *key;
    json_t *v;
    json_object_foreach(sums, key, v) names[k++] = key;
    qsort(names, n, sizeof *names, compare_names);
    printf("%-10s %-32s %s\n", "month", "metric", "national total");
    for (k = 0; k < n; k++) {
        const char *sp = strchr(names[k], ' ');
        printf("%-10.*s %-32s %lld\n", (int)(sp - names[k]), names[k], sp + 1,
               (long long)json_integer_value(json_object_get(sums, names[k])));
    }
    free(names);
    json_decref(sums);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"explain", no_argument, 0, 'e'}, {"json", no_argument, 0, 'j'},
                                         {"totals", no_argument, 0, 't'}, {"format", required_argument, 0, 'f'},
                                         DFA_CONFIG_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    check_run run = {0};
    dfa_config_args args = {0};
    const char *format = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "ejtf:c:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': run.explain = true; break;
        case 'j': run.json = true; break;
        case 't': run.totals = dfa_accum_new(1000000); break;
        case 'f':
            if (strcmp(optarg, "ndjson") != 0 && strcmp(optarg, "csv") != 0) {
                fprintf(stderr, "dfa-check: --format: expected ndjson or csv\n");
                return 2;
            }
            format = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default:
            if (!dfa_config_args_take(&args, c, optarg)) {
                usage(stderr);
                return 2;
            }
        }
    }
    dfa_core *core = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-check", &args, environ, &core);
    if (!cfg)
        return 2;
    int status = 0;
    for (int i = optind; i < argc || (i == optind && i == argc); i++) {
        const char *name = i < argc ? argv[i] : "-";
        FILE *in = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
        if (!in) {
            fprintf(stderr, "dfa-check: %s: cannot open\n", DFA_TEXT_SHOWN(name, 1024));
            status = 2;
            continue;
        }
        if (check_stream(core, &run, in, strcmp(name, "-") == 0 ? "<stdin>" : name, is_csv(format, name)) != 0) {
            fprintf(stderr, "dfa-check: %s: read error\n", DFA_TEXT_SHOWN(name, 1024));
            status = 2;
        }
        if (in != stdin)
            fclose(in);
    }
    if (run.totals && status == 0)
        print_totals(run.totals);
    fprintf(stderr, "dfa-check: %zu events: %zu valid, %zu invalid\n", run.lines, run.valid, run.invalid);
    dfa_accum_free(run.totals);
    dfa_core_free(core);
    dfa_config_free(cfg);
    return status ? status : (run.invalid ? 1 : 0);
}
