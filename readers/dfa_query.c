/* dfa-query: live totals of the nation or a province for any period, as a
 * table or JSON, with the moment they were read and the Kafka offsets the
 * counters reflect. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_config.h"
#include "dfa_keys.h"
#include "dfa_core.h"
#include "dfa_format.h"
#include "dfa_reader.h"
#include "dfa_redis.h"
#include "dfa_text.h"

extern char **environ;

typedef struct {
    const char *period, *from, *to, *province, *unit, *metrics[64];
    size_t n_metrics;
    bool json, breakdowns;
} query_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: dfa-query [--period ID | --from YYYY-MM-DD --to YYYY-MM-DD] [--province CODE|NAME]\n"
                 "                 [--unit UNIT_ID] [--metric NAME]... [--breakdowns] [--json] [--set key=value]...\n"
                 "  period ids: M2025-07 Q2025-3 H2025-1 N2025 Y2025 R2021-2025 A2025-07 AY2025 D2025-07-01;\n"
                 "  default: this year so far. --unit reports on one unit as it was (e.g. 89x, the An Giang\n"
                 "  of before July 2025) instead of restating on today's units.\n");
}

static int compare_names(const void *x, const void *y) { return strcmp(*(const char *const *)x, *(const char *const *)y); }

/* "offsets applied: topic:partition=offset ...", sorted by name: a hash's own
 * order says only in which order its partitions first came to a province,
 * which differs between two Redis fed the same events. */
static void print_offsets(json_t *offsets)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    const char **names = calloc(json_object_size(offsets) + 1, sizeof *names);
    json_object_foreach(offsets, key, v) if (names) names[n++] = key;
    qsort(names, n, sizeof *names, compare_names);
    printf("offsets applied:");
    for (size_t i = 0; i < n; i++)
        printf(" %s=%lld", names[i], (long long)json_integer_value(json_object_get(offsets, names[i])));
    printf("\n");
    free(names);
}

/* Pads UTF-8 text to `width` characters (printf pads bytes). */
static void print_padded(const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    printf("%s%*s", s, width > chars ? width - chars : 0, "");
}

static bool wanted(const query_opts *o, const char *row)
{
    const char *bar = strchr(row, '|');
    if (!o->breakdowns && bar && strncmp(bar, "|cur=", 5) != 0)
        return false; /* a breakdown; a currency alone is still the total */
    if (strncmp(row, "plan|", 5) == 0 || strncmp(row, "nil|", 4) == 0 || row[0] == '_' ||
        strncmp(row, DFA_FIELD_ESTIMATE_PREFIX, strlen(DFA_FIELD_ESTIMATE_PREFIX)) == 0)
        return false;
    if (!o->n_metrics)
        return true;
    size_t len = strcspn(row, "|");
    for (size_t i = 0; i < o->n_metrics; i++)
        if (strlen(o->metrics[i]) == len && strncmp(o->metrics[i], row, len) == 0)
            return true;
    return false;
}

static int64_t prefixed_value(const dfa_figures *f, const char *prefix, const char *row)
{
    char key[320];
    snprintf(key, sizeof key, "%s%s", prefix, row);
    return dfa_figures_get(f, key);
}

/* A metric declared "không có" for the period (report.nil_declared) with nothing against it. */
static bool declared_none(const dfa_figures *f, const char *metric)
{
    return prefixed_value(f, "nil|", metric) > 0 && dfa_figures_get(f, metric) == 0;
}

/* The metrics declared nil that events contradict: a data problem, not a flag beside the number. */
static json_t *nil_problems(const dfa_figures *f)
{
    json_t *problems = json_array();
    for (size_t i = 0; i < dfa_figures_count(f); i++) {
        const dfa_figure *x = dfa_figures_at(f, i);
        if (strncmp(x->row, "nil|", 4) == 0 && x->value > 0 && dfa_figures_get(f, x->row + 4) != 0)
            json_array_append_new(problems, json_pack("{s:s,s:s,s:I}", "kind", "nil_contradicted", "row", x->row + 4, "value",
                                                      (json_int_t)dfa_figures_get(f, x->row + 4)));
    }
    return problems;
}

static int print(const dfa_core *core, const query_opts *o, const char *label, dfa_date first, dfa_date last,
                 const dfa_figures *f, const dfa_read_info *info, json_t *offsets)
{
    const dfa_catalog *cat = dfa_core_catalog(core);
    size_t total = dfa_provinces_current_count(dfa_core_provinces(core));
    char read_at[32];
    time_t now = time(NULL);
    strftime(read_at, sizeof read_at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (o->json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < dfa_figures_count(f); i++) {
            const dfa_figure *x = dfa_figures_at(f, i);
            if (!wanted(o, x->row))
                continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(x->row, "|"), x->row);
            const dfa_metric *m = dfa_catalog_metric(cat, name);
            json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:I}", "row", x->row, "metric", name, "kind",
                                    m ? dfa_metric_kind_name(m->kind) : "", "label_vi", m ? m->label_vi : "", "value",
                                    (json_int_t)x->value);
            if (prefixed_value(f, DFA_FIELD_ESTIMATE_PREFIX, x->row) > 0)
                json_object_set_new(row, "estimated", json_true());
            if (m && m->kind == DFA_KIND_STOCK && x->value < 0)
                json_object_set_new(row, "problem", json_string("negative_stock"));
            json_array_append_new(rows, row);
        }
        for (size_t i = 0; i < dfa_figures_count(f); i++) { /* declared "không có": value 0, declared_none */
            const dfa_figure *x = dfa_figures_at(f, i);
            const dfa_metric *m = strncmp(x->row, "nil|", 4) == 0 ? dfa_catalog_metric(cat, x->row + 4) : NULL;
            if (m && wanted(o, m->name) && declared_none(f, m->name) && !dfa_figures_has(f, m->name))
                json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:i,s:b}", "row", m->name, "metric", m->name, "kind",
                                                      dfa_metric_kind_name(m->kind), "label_vi", m->label_vi, "value", 0,
                                                      "declared_none", 1));
        }
        char a[16], b[16];
        snprintf(a, sizeof a, "%04d-%02d-%02d", first.year, first.month, first.day);
        snprintf(b, sizeof b, "%04d-%02d-%02d", last.year, last.month, last.day);
        json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:{s:I,s:I},s:I,s:o}", "scope", o->province ? o->province : "national",
                                "period", label, "first", a, "last", b, "read_at", read_at, "offsets", offsets, "coverage",
                                "reported", (json_int_t)info->provinces_reported, "of", (json_int_t)(o->province ? 1 : total),
                                "redis_round_trips", (json_int_t)info->round_trips, "figures", rows);
        json_object_set_new(out, "problems", nil_problems(f));
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
        puts(s);
        free(s);
        json_decref(out);
        return 0;
    }
    printf("%s, %s (%04d-%02d-%02d .. %04d-%02d-%02d), read %s\n", o->province ? o->province : "national", label,
           first.year, first.month, first.day, last.year, last.month, last.day, read_at);
    if (!o->province)
        printf("coverage: %zu of %zu provinces reported\n", info->provinces_reported, total);
    print_offsets(offsets);
    for (size_t i = 0; i < dfa_figures_count(f); i++) {
        const dfa_figure *x = dfa_figures_at(f, i);
        if (!wanted(o, x->row))
            continue;
        char name[64], value[160];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(x->row, "|"), x->row);
        const dfa_metric *m = dfa_catalog_metric(cat, name);
        const char *cur = strstr(x->row, "|cur=");
        char amount[DFA_FORMAT_MAX];
        if (cur)
            dfa_format_vi_money(x->value, cur + 5, amount, sizeof amount);
        else
            snprintf(amount, sizeof amount, "%s %s", dfa_format_vi_int(x->value, (char[DFA_FORMAT_MAX]){0}, DFA_FORMAT_MAX),
                     m ? m->unit_vi : "");
        bool negative = m && m->kind == DFA_KIND_STOCK && x->value < 0;
        snprintf(value, sizeof value, "%s%s%s", prefixed_value(f, DFA_FIELD_ESTIMATE_PREFIX, x->row) > 0 ? "ước " : "", amount,
                 negative ? "  [số dư âm: vấn đề số liệu cần rà soát]" : "");
        printf("  ");
        print_padded(m ? m->label_vi : name, 46);
        print_padded(x->row, 42);
        printf("%s\n", value);
    }
    for (size_t i = 0; i < dfa_figures_count(f); i++) {
        const dfa_figure *x = dfa_figures_at(f, i);
        const dfa_metric *m = strncmp(x->row, "nil|", 4) == 0 ? dfa_catalog_metric(cat, x->row + 4) : NULL;
        if (!m || !wanted(o, m->name) || x->value <= 0)
            continue;
        printf("  ");
        print_padded(m->label_vi, 46);
        print_padded(m->name, 42);
        printf("%s\n", declared_none(f, m->name) ? "không có"
                                                  : "đã báo cáo không có, nhưng có số liệu: vấn đề số liệu cần rà soát");
    }
    json_decref(offsets);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"period", required_argument, 0, 'p'}, {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
        {"province", required_argument, 0, 'P'}, {"unit", required_argument, 0, 'u'}, {"metric", required_argument, 0, 'm'},
        {"breakdowns", no_argument, 0, 'b'}, {"json", no_argument, 0, 'j'}, DFA_CONFIG_LONG_OPTIONS,
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    query_opts o = {0};
    dfa_config_args args = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': o.period = optarg; break;
        case 'f': o.from = optarg; break;
        case 't': o.to = optarg; break;
        case 'P': o.province = optarg; break;
        case 'u': o.unit = optarg; break;
        case 'm': if (o.n_metrics < 64) o.metrics[o.n_metrics++] = optarg; break;
        case 'b': o.breakdowns = true; break;
        case 'j': o.json = true; break;
        case 'h': usage(stdout); return 0;
        default:
            if (!dfa_config_args_take(&args, ch, optarg)) {
                usage(stderr);
                return 2;
            }
        }
    }
    dfa_error err = {0};
    dfa_core *core = NULL;
    dfa_redis *r = NULL;
    dfa_figures *f = NULL;
    int rc = 2;
    dfa_read_spec spec = {0};
    char label[64] = "";
    const dfa_unit *province = NULL, *orig = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-query", &args, environ, &core);
    if (!cfg)
        return 2;
    if (o.period) {
        if (dfa_period_parse(o.period, &spec.first, &spec.last, &err) != DFA_OK)
            goto fail;
        snprintf(label, sizeof label, "%s", o.period);
        spec.period_id = o.period;
    } else if (o.from || o.to) {
        if (!o.from || !o.to || !dfa_date_parse(o.from, &spec.first) || !dfa_date_parse(o.to, &spec.last) ||
            dfa_date_cmp(spec.first, spec.last) > 0) {
            dfa_fail(&err, DFA_ERR_CONFIG, "--from and --to: two dates YYYY-MM-DD, the first not after the second");
            goto fail;
        }
        snprintf(label, sizeof label, "%s..%s", o.from, o.to);
    } else {
        spec.last = dfa_date_today_local();
        spec.first = (dfa_date){spec.last.year, 1, 1};
        snprintf(label, sizeof label, "Y%04d so far", spec.last.year);
    }
    if (o.province &&
        dfa_provinces_resolve(dfa_core_provinces(core), o.province, spec.last, &province, &orig, &err) != DFA_OK)
        goto fail;
    if (o.unit) {
        const dfa_unit *u = dfa_provinces_by_unit_id(dfa_core_provinces(core), o.unit);
        if (!u) {
            dfa_fail(&err, DFA_ERR_CONFIG, "--unit: no unit \"%s\" (ids are codes, with x for units that ended: 89x)",
                     DFA_TEXT_SHOWN(o.unit, 44));
            goto fail;
        }
        province = u->current;
        spec.unit_id = u->unit_id;
        o.province = u->name;
    }
    dfa_read_info info;
    if (dfa_redis_new(cfg, &r, &err) != DFA_OK || !(f = dfa_figures_new()) ||
        dfa_read_figures(r, core, province, &spec, f, NULL, &info, &err) != DFA_OK)
        goto fail;
    json_t *offsets = dfa_read_offsets(r, core, NULL, &err);
    if (!offsets)
        goto fail;
    rc = print(core, &o, label, spec.first, spec.last, f, &info, offsets);
    goto done;
fail:
    fprintf(stderr, "dfa-query: %s\n", err.msg);
done:
    dfa_figures_free(f);
    dfa_redis_free(r);
    dfa_core_free(core);
    dfa_config_free(cfg);
    return rc;
}
