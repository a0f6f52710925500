/* dfa-snapshot: period rollups for the periodic reports (docs/snapshots.md).
 *
 *   dfa-snapshot --period H2025-1 [--as-of 2025-06-20] [--historic] [--province P | --unit 89x]
 *                [--format json|csv|md|html]
 *       one rollup on stdout, on demand: the nation, or one province's report (today's unit, or a
 *       unit as it was with --unit);
 *   dfa-snapshot --nightly [--date 2026-11-21]
 *       closes a day (yesterday by default): writes, as immutable versions, the rollups of every period
 *       the day belongs to (month, quarter, half, nine months, year, as of that day) and re-checks the
 *       final rollups of the periods that ended in the two years before, so a late event restates them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dfa_config.h"
#include "dfa_keys.h"
#include "dfa_core.h"
#include "dfa_file.h"
#include "dfa_kafka.h"
#include "dfa_log.h"
#include "dfa_report.h"
#include "dfa_rollup.h"
#include "dfa_text.h"

extern char **environ;

typedef struct {
    const dfa_config *cfg;
    const dfa_core *core;
    dfa_redis *redis;
    rd_kafka_t *notices;
    const char *dir;
    int written, unchanged;
} nightly_run;

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Writes a new file; never replaces one (versions are immutable). */
static int write_new(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(content);
    int rc = write(fd, content, n) == (ssize_t)n ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* What changed between two versions: every row whose figures differ. */
static json_t *diff_docs(const json_t *old, const json_t *new)
{
    json_t *changes = json_array();
    const json_t *scopes_old[130], *scopes_new[130];
    const char *names[130];
    size_t n = 0;
    names[n] = "national", scopes_old[n] = json_object_get(old, "national"), scopes_new[n++] = json_object_get(new, "national");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(new, "provinces"), i, p) {
        if (n >= 130)
            break;
        names[n] = json_string_value(json_object_get(p, "unit"));
        scopes_new[n] = p;
        scopes_old[n++] = json_array_get(json_object_get(old, "provinces"), i);
    }
    for (size_t s = 0; s < n; s++) {
        const json_t *ro = json_object_get(scopes_old[s], "rows"), *rn = json_object_get(scopes_new[s], "rows");
        const char *row;
        json_t *v;
        json_object_foreach((json_t *)rn, row, v) {
            const json_t *was = json_object_get(ro, row);
            if (!was || !json_equal(json_object_get(was, "value"), json_object_get(v, "value")) ||
                !json_equal(json_object_get(was, "previous"), json_object_get(v, "previous")))
                json_array_append_new(changes, json_pack("{s:s,s:s,s:O,s:O}", "scope", names[s], "row", row, "was",
                                                         was ? json_object_get(was, "value") : json_null(), "now",
                                                         json_object_get(v, "value")));
        }
        json_object_foreach((json_t *)ro, row, v) {
            if (!json_object_get(rn, row))
                json_array_append_new(changes, json_pack("{s:s,s:s,s:O,s:i}", "scope", names[s], "row", row, "was",
                                                         json_object_get(v, "value"), "now", 0));
        }
    }
    return changes;
}

static void publish_notice(nightly_run *n, const char *period, const char *as_of, int version, const char *path,
                           size_t changed)
{
    if (!n->notices)
        return;
    json_t *notice = json_pack("{s:s,s:s,s:s,s:i,s:s,s:I}", "schema", "dfa.rollup-notice/1", "period", period, "as_of",
                               as_of, "version", version, "path", path, "changed_rows", (json_int_t)changed);
    char *s = json_dumps(notice, JSON_COMPACT | JSON_SORT_KEYS);
    rd_kafka_producev(n->notices, RD_KAFKA_V_TOPIC(dfa_config_str(n->cfg, "topic.rollups")),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(s, strlen(s)),
                      RD_KAFKA_V_KEY(period, strlen(period)), RD_KAFKA_V_END);
    free(s);
    json_decref(notice);
}

/* Stores a version in Redis too: the document and the index entry. */
static void store_in_redis(nightly_run *n, const char *period, const char *as_of, int version, const char *json)
{
    char key[DFA_KEY_MAX], field[128], v[16];
    dfa_key_snapshot(key, sizeof key, period, as_of, version);
    snprintf(field, sizeof field, "%s@%s", period, as_of);
    snprintf(v, sizeof v, "%d", version);
    dfa_resp *cmds = dfa_resp_new();
    if (!cmds)
        return;
    const char *set[] = {"SET", key, json}, *idx[] = {"HSET", DFA_KEY_SNAPSHOT_INDEX, field, v};
    dfa_resp_argv(cmds, set, 3);
    dfa_resp_argv(cmds, idx, 4);
    redisReply *rep[2];
    if (dfa_redis_run(n->redis, cmds, rep, NULL) == DFA_OK) {
        freeReplyObject(rep[0]);
        freeReplyObject(rep[1]);
    }
    dfa_resp_free(cmds);
}

/* One (period, as-of) snapshot: a new version only when the content changed. */
static dfa_status snapshot_one(nightly_run *n, const char *period, dfa_date as_of, dfa_error *err)
{
    dfa_rollup_spec spec = {.label = period, .has_id = true, .as_of = as_of};
    dfa_status st = dfa_period_parse(period, &spec.first, &spec.last, err);
    json_t *doc = NULL;
    if (st == DFA_OK)
        st = dfa_rollup_build(n->redis, n->core, &spec, &doc, err);
    if (st != DFA_OK)
        return st;
    char *json = dfa_rollup_json(doc), dir[4096], path[4200], when[16];
    snprintf(when, sizeof when, "%04d-%02d-%02d", as_of.year, as_of.month, as_of.day);
    snprintf(dir, sizeof dir, "%s/%s/%s", n->dir, period, when);
    int latest = 0;
    for (;; latest++) {
        snprintf(path, sizeof path, "%s/v%d.json", dir, latest + 1);
        if (access(path, F_OK) != 0)
            break;
    }
    char *previous = NULL;
    if (latest) {
        snprintf(path, sizeof path, "%s/v%d.json", dir, latest);
        if (dfa_file_read(path, &previous, NULL, NULL) != DFA_OK)
            previous = NULL;
    }
    if (previous && json && strcmp(previous, json) == 0) {
        n->unchanged++;
    } else if (json && mkdirs(dir) == 0) {
        int v = latest + 1;
        char *csv = dfa_rollup_csv(doc), *md = dfa_report_markdown(doc, n->core);
        snprintf(path, sizeof path, "%s/v%d.json", dir, v);
        int rc = write_new(path, json);
        snprintf(path, sizeof path, "%s/v%d.csv", dir, v);
        rc |= csv ? write_new(path, csv) : -1;
        snprintf(path, sizeof path, "%s/v%d.md", dir, v);
        rc |= md ? write_new(path, md) : -1;
        size_t changed = 0;
        if (previous && rc == 0) {
            json_t *old = json_loads(previous, 0, NULL);
            json_t *changes = diff_docs(old, doc);
            changed = json_array_size(changes);
            json_t *d = json_pack("{s:s,s:s,s:i,s:i,s:o}", "period", period, "as_of", when, "from", latest, "to", v,
                                  "changes", changes);
            char *ds = json_dumps(d, JSON_SORT_KEYS | JSON_INDENT(1));
            snprintf(path, sizeof path, "%s/diff-v%d.json", dir, v);
            rc |= ds ? write_new(path, ds) : -1;
            free(ds);
            json_decref(d);
            json_decref(old);
        }
        free(csv);
        free(md);
        if (rc != 0) {
            st = dfa_fail(err, DFA_ERR_IO, "%s: cannot write version %d", dir, v);
        } else {
            store_in_redis(n, period, when, v, json);
            snprintf(path, sizeof path, "%s/v%d.json", dir, v);
            publish_notice(n, period, when, v, path, changed);
            dfa_log(DFA_LOG_INFO, "snapshot_written", "period=%s as_of=%s version=%d changed_rows=%zu", period, when, v, changed);
            n->written++;
        }
    } else {
        st = dfa_fail(err, DFA_ERR_IO, "%s: cannot create", dir);
    }
    free(previous);
    free(json);
    json_decref(doc);
    return st;
}

/* The day's own periods as of that day, then the final rollups of every
 * period that ended in the 730 days before. */
static dfa_status nightly(nightly_run *n, dfa_date day, dfa_error *err)
{
    static const dfa_period_kind kinds[] = {DFA_PERIOD_MONTH, DFA_PERIOD_QUARTER, DFA_PERIOD_HALF,
                                            DFA_PERIOD_NINE_MONTHS, DFA_PERIOD_YEAR};
    dfa_status st = DFA_OK;
    char id[DFA_PERIOD_ID_MAX], seen[256][DFA_PERIOD_ID_MAX];
    size_t n_seen = 0;
    for (size_t k = 0; st == DFA_OK && k < 5; k++)
        if (dfa_period_id(kinds[k], day, id))
            st = snapshot_one(n, id, day, err);
    for (int64_t back = 1; st == DFA_OK && back <= 730; back++) {
        dfa_date d = dfa_date_add_days(day, -back);
        for (size_t k = 0; st == DFA_OK && k < 5; k++) {
            dfa_date first, last;
            if (!dfa_period_id(kinds[k], d, id) || dfa_period_parse(id, &first, &last, NULL) != DFA_OK ||
                dfa_date_cmp(last, d) != 0)
                continue; /* only on the period's last day */
            bool done = false;
            for (size_t s = 0; s < n_seen; s++)
                done |= strcmp(seen[s], id) == 0;
            if (done || n_seen == 256)
                continue;
            snprintf(seen[n_seen++], DFA_PERIOD_ID_MAX, "%s", id);
            st = snapshot_one(n, id, last, err);
        }
    }
    return st;
}

static rd_kafka_t *notice_producer(const dfa_config *cfg, dfa_error *err)
{
    rd_kafka_t *rk = NULL;
    return dfa_kafka_producer_new(cfg, NULL, 0, NULL, NULL, &rk, err) == DFA_OK ? rk : NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"period", required_argument, 0, 'p'}, {"as-of", required_argument, 0, 'a'}, {"historic", no_argument, 0, 'H'},
        {"format", required_argument, 0, 'f'}, {"nightly", no_argument, 0, 'n'}, {"date", required_argument, 0, 'd'},
        {"no-notices", no_argument, 0, 'N'}, {"province", required_argument, 0, 'P'}, {"unit", required_argument, 0, 'u'},
        DFA_CONFIG_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *period = NULL, *as_of = NULL, *format = "json", *date = NULL, *province = NULL, *unit = NULL;
    bool historic = false, is_nightly = false, notices = true;
    dfa_config_args args = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': period = optarg; break;
        case 'a': as_of = optarg; break;
        case 'H': historic = true; break;
        case 'f': format = optarg; break;
        case 'n': is_nightly = true; break;
        case 'd': date = optarg; break;
        case 'N': notices = false; break;
        case 'P': province = optarg; break;
        case 'u': unit = optarg; break;
        case 'h':
            printf("usage: dfa-snapshot --period ID [--as-of YYYY-MM-DD] [--historic] [--province CODE|NAME | --unit UNIT_ID]\n"
                   "                    [--format json|csv|md|html]\n"
                   "       dfa-snapshot --nightly [--date YYYY-MM-DD] [--no-notices]\n");
            return 0;
        default:
            if (!dfa_config_args_take(&args, ch, optarg))
                return 2;
        }
    }
    dfa_error err = {0};
    dfa_core *core = NULL;
    dfa_redis *r = NULL;
    int rc = 2;
    dfa_config *cfg = dfa_config_startup("dfa-snapshot", &args, environ, &core);
    if (!cfg)
        return 2;
    if (dfa_redis_new(cfg, &r, &err) != DFA_OK)
        goto out;
    dfa_log_init("dfa-snapshot", dfa_config_str(cfg, "log.level"));
    if (is_nightly) {
        dfa_date day = dfa_date_add_days(dfa_date_today_local(), -1);
        if (date && !dfa_date_parse(date, &day)) {
            dfa_fail(&err, DFA_ERR_CONFIG, "--date: expected YYYY-MM-DD, got \"%s\"", DFA_TEXT_SHOWN(date, 44));
            goto out;
        }
        nightly_run n = {.cfg = cfg, .core = core, .redis = r, .dir = dfa_config_str(cfg, "snapshot.dir")};
        if (notices && !(n.notices = notice_producer(cfg, &err)))
            goto out;
        dfa_status st = nightly(&n, day, &err);
        if (n.notices) {
            rd_kafka_flush(n.notices, 30000);
            if (rd_kafka_outq_len(n.notices) > 0 && st == DFA_OK)
                st = dfa_fail(&err, DFA_ERR_IO, "rollup notices: %d not delivered", rd_kafka_outq_len(n.notices));
            rd_kafka_destroy(n.notices);
        }
        dfa_log(st == DFA_OK ? DFA_LOG_INFO : DFA_LOG_ERROR, "nightly_done", "date=%04d-%02d-%02d written=%d unchanged=%d",
                day.year, day.month, day.day, n.written, n.unchanged);
        rc = st == DFA_OK ? 0 : 1;
        goto out;
    }
    if (!period) {
        dfa_fail(&err, DFA_ERR_CONFIG, "give --period ID or --nightly (see --help)");
        goto out;
    }
    dfa_rollup_spec spec = {.label = period, .has_id = true, .historic = historic};
    if (dfa_period_parse(period, &spec.first, &spec.last, &err) != DFA_OK)
        goto out;
    spec.as_of = spec.last;
    if (as_of && !dfa_date_parse(as_of, &spec.as_of)) {
        dfa_fail(&err, DFA_ERR_CONFIG, "--as-of: expected YYYY-MM-DD, got \"%s\"", DFA_TEXT_SHOWN(as_of, 44));
        goto out;
    }
    if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "md") != 0 &&
        strcmp(format, "html") != 0) {
        dfa_fail(&err, DFA_ERR_CONFIG, "--format: json, csv, md or html, got \"%s\"", DFA_TEXT_SHOWN(format, 24));
        goto out;
    }
    if (province && unit) {
        dfa_fail(&err, DFA_ERR_CONFIG, "--province and --unit: one or the other (--unit is a unit as it was)");
        goto out;
    }
    if (province) { /* today's unit, the period's figures restated on it */
        const dfa_unit *current = NULL, *then = NULL;
        if (dfa_provinces_resolve(dfa_core_provinces(core), province, dfa_date_today_local(), &current, &then, &err) != DFA_OK)
            goto out;
        spec.unit_id = current->unit_id;
    }
    if (unit) { /* a unit as it was, on its own rows */
        if (!dfa_provinces_by_unit_id(dfa_core_provinces(core), unit)) {
            dfa_fail(&err, DFA_ERR_CONFIG, "--unit: no unit \"%s\" (ids are codes, with x for units that ended: 89x)",
                     DFA_TEXT_SHOWN(unit, 44));
            goto out;
        }
        spec.unit_id = unit;
        spec.historic = true;
    }
    json_t *doc = NULL;
    if (dfa_rollup_build(r, core, &spec, &doc, &err) != DFA_OK)
        goto out;
    char *s = strcmp(format, "csv") == 0    ? dfa_rollup_csv(doc)
              : strcmp(format, "md") == 0   ? dfa_report_markdown(doc, core)
              : strcmp(format, "html") == 0 ? dfa_report_html(doc, core)
                                            : dfa_rollup_json(doc);
    if (s)
        fputs(s, stdout);
    free(s);
    json_decref(doc);
    rc = 0;
out:
    if (rc == 2 && err.msg[0])
        fprintf(stderr, "dfa-snapshot: %s\n", err.msg);
    dfa_redis_free(r);
    dfa_core_free(core);
    dfa_config_free(cfg);
    return rc;
}
