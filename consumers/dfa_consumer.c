/* dfa-consumer: a daemon in a Kafka consumer group that aggregates events
 * into Redis counters exactly once (docs/exactly-once.md).
 *
 * Loop: poll a batch (consumer.batch_events or consumer.batch_ms), validate
 * each message, apply the batch through dfa_applier, dead-letter what was
 * rejected, then commit the offsets. While Redis runs one batch's transaction
 * the next batch is polled and validated; the first is settled (dead letters,
 * commit) before the second is sent. A failed step leaves the batch in memory
 * and is retried; nothing is committed before Redis and the dead-letter topic
 * hold their part. */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfa_clock.h"
#include "dfa_applier.h"
#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_deadletter.h"
#include "dfa_event.h"
#include "dfa_kafka.h"
#include "dfa_log.h"
#include "dfa_redis.h"

extern char **environ;

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig, stop_requested = 1; }

typedef struct {
    uint64_t messages, outcomes[DFA_OUTCOME__COUNT], batches, commits_failed, redis_failures;
} consumer_stats;

typedef struct {
    dfa_core *core;
    dfa_redis *redis;
    dfa_applier *applier;
    dfa_deadletter *dlq;
    rd_kafka_t *rk;
    char client_id[128];
    rd_kafka_message_t **pending; /* the batch, in poll order; owned until committed */
    size_t n_pending, cap_pending;
    dfa_batch_item *items;
    size_t n_parsed;    /* pending[0..n_parsed) have their item (and event) already */
    size_t in_flight;   /* pending[0..in_flight) are being applied (dfa_applier_begin) */
    size_t batch_events;
    int batch_ms, stats_interval_s;
    consumer_stats stats, last_stats;
    double last_stats_at;
} consumer;

static bool append_pending(consumer *c, rd_kafka_message_t *m)
{
    if (c->n_pending == c->cap_pending) {
        size_t cap = c->cap_pending ? c->cap_pending * 2 : 1024;
        rd_kafka_message_t **np = realloc(c->pending, cap * sizeof *np);
        if (!np)
            return false;
        c->pending = np;
        dfa_batch_item *ni = realloc(c->items, cap * sizeof *ni);
        if (!ni)
            return false;
        c->items = ni;
        c->cap_pending = cap;
    }
    c->pending[c->n_pending++] = m;
    return true;
}

/* Commits, per partition, the offset after the last of the first n pending. */
static void commit_prefix(consumer *c, size_t n)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = c->pending[i];
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(list, rd_kafka_topic_name(m->rkt), m->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(m->rkt), m->partition);
        if (m->offset + 1 > tp->offset)
            tp->offset = m->offset + 1;
    }
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, list, 0);
    if (e) {
        /* harmless for the counters: the markers recognise a replay */
        c->stats.commits_failed++;
        dfa_log(DFA_LOG_WARN, "commit_failed", "error=%s", rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void free_events(consumer *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dfa_event_free(c->items[i].event);
        c->items[i].event = NULL;
    }
}

/* Drops the first n pending messages (applied and committed) with their
 * items; the rest keep theirs, so a cut batch is not parsed twice. */
static void release_prefix(consumer *c, size_t n)
{
    free_events(c, n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(c->pending[i]);
    size_t rest = c->n_pending - n;
    memmove(c->pending, c->pending + n, rest * sizeof *c->pending);
    memmove(c->items, c->items + n, rest * sizeof *c->items);
    c->n_pending -= n;
    c->n_parsed -= n;
}

/* Validates the pending messages not validated yet into c->items, and
 * stages those after the batch in flight (their deltas merge now, while
 * Redis runs that batch). */
static void parse_pending(consumer *c)
{
    for (size_t i = c->n_parsed; i < c->n_pending; i++) {
        rd_kafka_message_t *m = c->pending[i];
        dfa_batch_item *it = &c->items[i];
        dfa_error e = {0};
        rd_kafka_timestamp_type_t tstype;
        *it = (dfa_batch_item){.partition = m->partition, .offset = m->offset,
                               .timestamp_ms = rd_kafka_message_timestamp(m, &tstype)};
        if (dfa_event_parse(c->core, m->payload ? m->payload : "", m->len, &it->event, &e) != DFA_OK) {
            it->event = NULL;
            it->outcome = DFA_OUTCOME_DEAD_LETTER;
            it->code = dfa_status_name(e.code);
            snprintf(it->reason, sizeof it->reason, "%s", e.msg);
        }
    }
    c->n_parsed = c->n_pending;
    dfa_error e = {0};
    if (dfa_applier_stage(c->applier, c->items + c->in_flight, c->n_pending - c->in_flight, &e) != DFA_OK)
        dfa_log(DFA_LOG_WARN, "stage_failed", "error=\"%s\"", e.msg); /* begin stages again */
}

static void report_stats(consumer *c, bool force);

/* Waits for the batch in flight, dead-letters what it rejected, commits it
 * and drops it. On failure nothing is in flight: the batch is begun again
 * (what Redis already holds is recognised by the offset markers). */
static dfa_status finish_in_flight(consumer *c, dfa_error *err)
{
    if (!c->in_flight)
        return DFA_OK;
    size_t done = 0;
    dfa_status st = dfa_applier_finish(c->applier, c->items, &done, err);
    bool whole = done == c->in_flight;
    c->in_flight = 0;
    for (size_t i = 0; st == DFA_OK && i < done; i++)
        if (c->items[i].code)
            st = dfa_deadletter_send(c->dlq, c->pending[i], c->items[i].code, c->items[i].reason, err);
    if (st == DFA_OK)
        st = dfa_deadletter_flush(c->dlq, 30000, err);
    if (st != DFA_OK || !whole)
        dfa_applier_unstage(c->applier); /* the next batch starts elsewhere than was staged */
    if (st != DFA_OK) {
        c->stats.redis_failures++; /* the batch stays parsed for the retry */
        return st;
    }
    for (size_t i = 0; i < done; i++)
        c->stats.outcomes[c->items[i].outcome]++;
    c->stats.messages += done;
    c->stats.batches++;
    dfa_log(DFA_LOG_DEBUG, "batch", "events=%zu messages=%llu redis_round_trips=%llu", done,
            (unsigned long long)c->stats.messages, (unsigned long long)dfa_redis_round_trips(c->redis));
    commit_prefix(c, done);
    release_prefix(c, done);
    report_stats(c, false); /* the connection is free until the next begin */
    return DFA_OK;
}

/* Applies the pending batch (in prefixes when it is large), dead-letters,
 * commits. With wait false the last prefix is left in flight, so the caller
 * polls and parses the next batch while Redis runs its transaction. On
 * failure the unapplied part stays pending. */
static dfa_status flush_pending(consumer *c, bool wait, dfa_error *err)
{
    dfa_status st = finish_in_flight(c, err);
    while (st == DFA_OK && c->n_pending > c->in_flight) {
        parse_pending(c);
        st = dfa_applier_begin(c->applier, rd_kafka_topic_name(c->pending[0]->rkt), c->items, c->n_pending, err);
        if (st != DFA_OK) {
            c->stats.redis_failures++;
            break;
        }
        c->in_flight = dfa_applier_taken(c->applier);
        if (!wait)
            break;
        st = finish_in_flight(c, err);
    }
    return st;
}

/* After a revocation we could not flush: forget the revoked partitions'
 * messages (uncommitted, so their new owner reads them again). */
static void drop_revoked(consumer *c, const rd_kafka_topic_partition_list_t *parts)
{
    dfa_applier_unstage(c->applier);
    free_events(c, c->n_parsed); /* rare: the survivors are simply parsed again */
    c->n_parsed = 0;
    size_t kept = 0;
    for (size_t i = 0; i < c->n_pending; i++) {
        rd_kafka_message_t *m = c->pending[i];
        if (rd_kafka_topic_partition_list_find(parts, rd_kafka_topic_name(m->rkt), m->partition))
            rd_kafka_message_destroy(m);
        else
            c->pending[kept++] = m;
    }
    c->n_pending = kept;
}

static void log_partitions(const char *event, const rd_kafka_topic_partition_list_t *parts)
{
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < parts->cnt && used < sizeof list - 16; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%d", i ? "," : "", (int)parts->elems[i].partition);
    dfa_log(DFA_LOG_INFO, event, "partitions=%s", *list ? list : "none");
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    consumer *c = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_partitions("partitions_assigned", parts);
        if (cooperative)
            rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        log_partitions("partitions_revoked", parts);
        dfa_error err = {0};
        if (flush_pending(c, true, &err) != DFA_OK) {
            dfa_log(DFA_LOG_WARN, "revoke_without_flush", "error=\"%s\"", err.msg);
            drop_revoked(c, parts);
        }
        if (cooperative)
            rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
        return;
    }
    dfa_log(DFA_LOG_ERROR, "rebalance_error", "error=%s", rd_kafka_err2str(e));
    rd_kafka_assign(rk, NULL);
}

/* Lag per assigned partition, from the cached high watermarks. */
static void format_lag(consumer *c, char *out, size_t cap)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    size_t used = 0;
    out[0] = '\0';
    if (rd_kafka_assignment(c->rk, &parts) != 0 || !parts)
        return;
    rd_kafka_position(c->rk, parts);
    for (int i = 0; i < parts->cnt && used + 24 < cap; i++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (rd_kafka_get_watermark_offsets(c->rk, tp->topic, tp->partition, &lo, &hi) != 0)
            continue;
        int64_t lag = tp->offset >= 0 ? hi - tp->offset : hi - lo;
        used += (size_t)snprintf(out + used, cap - used, "%s%d:%lld", used ? "," : "", (int)tp->partition,
                                 (long long)(lag > 0 ? lag : 0));
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* One stats line on stderr, and the same figures in Redis for dfa-consumer --stats. */
static void report_stats(consumer *c, bool force)
{
    double now = dfa_clock_seconds();
    if (!force && (c->stats_interval_s == 0 || now - c->last_stats_at < c->stats_interval_s))
        return;
    double secs = now - c->last_stats_at;
    consumer_stats *s = &c->stats, *l = &c->last_stats;
    uint64_t msgs = s->messages - l->messages, batches = s->batches - l->batches;
    char lag[1024];
    format_lag(c, lag, sizeof lag);
    char line[2048];
    snprintf(line, sizeof line,
             "events_per_s=%.0f batches=%llu avg_batch=%.0f redis_round_trips=%llu messages=%llu counted=%llu "
             "retracted=%llu tombstones=%llu cancelled=%llu duplicates=%llu replayed=%llu dead_lettered=%llu "
             "commit_failures=%llu redis_failures=%llu lag=%s",
             secs > 0 ? (double)msgs / secs : 0.0, (unsigned long long)batches,
             batches ? (double)msgs / (double)batches : 0.0, (unsigned long long)dfa_redis_round_trips(c->redis),
             (unsigned long long)s->messages, (unsigned long long)s->outcomes[DFA_OUTCOME_COUNTED],
             (unsigned long long)s->outcomes[DFA_OUTCOME_RETRACTED], (unsigned long long)s->outcomes[DFA_OUTCOME_TOMBSTONE],
             (unsigned long long)s->outcomes[DFA_OUTCOME_CANCELLED], (unsigned long long)s->outcomes[DFA_OUTCOME_DUPLICATE],
             (unsigned long long)s->outcomes[DFA_OUTCOME_REPLAYED], (unsigned long long)s->outcomes[DFA_OUTCOME_DEAD_LETTER],
             (unsigned long long)s->commits_failed, (unsigned long long)s->redis_failures, *lag ? lag : "-");
    dfa_log(DFA_LOG_INFO, "stats", "%s", line);
    char key[192];
    snprintf(key, sizeof key, "dfa:consumer:%s", c->client_id);
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", c->stats_interval_s > 0 ? 3 * c->stats_interval_s : 60);
    const char *set[] = {"HSET", key, "stats", line, "updated", "now"};
    char updated[32];
    snprintf(updated, sizeof updated, "%lld", (long long)time(NULL));
    set[5] = updated;
    const char *expire[] = {"EXPIRE", key, ttl};
    size_t set_len[6], exp_len[3];
    for (int i = 0; i < 6; i++)
        set_len[i] = strlen(set[i]);
    for (int i = 0; i < 3; i++)
        exp_len[i] = strlen(expire[i]);
    dfa_redis_cmd cmds[2] = {{6, set, set_len}, {3, expire, exp_len}};
    redisReply *replies[2];
    if (dfa_redis_pipeline(c->redis, cmds, 2, replies, NULL) == DFA_OK)
        for (int i = 0; i < 2; i++)
            freeReplyObject(replies[i]);
    c->last_stats = *s;
    c->last_stats_at = now;
}

static void set_paused(consumer *c, bool paused)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(c->rk, &parts) != 0 || !parts)
        return;
    if (paused)
        rd_kafka_pause_partitions(c->rk, parts);
    else
        rd_kafka_resume_partitions(c->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
}

static void take_message(consumer *c, rd_kafka_message_t *m)
{
    if (!m)
        return;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            dfa_log(DFA_LOG_WARN, "kafka_error", "error=\"%s\"", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return;
    }
    if (!append_pending(c, m)) {
        dfa_log(DFA_LOG_ERROR, "out_of_memory", "pending=%zu", c->n_pending);
        rd_kafka_message_destroy(m); /* not committed: it will be read again */
    }
}

/* Redis or the dead-letter topic is down: stop fetching, keep the group
 * membership alive by polling, and retry until the batch goes through. */
static void ride_out_outage(consumer *c, const dfa_error *first)
{
    dfa_log(DFA_LOG_WARN, "outage", "error=\"%s\" pending=%zu", first->msg, c->n_pending);
    set_paused(c, true);
    int attempts = 0;
    while (!stop_requested) {
        take_message(c, rd_kafka_consumer_poll(c->rk, 200));
        dfa_error err = {0};
        if (flush_pending(c, true, &err) == DFA_OK)
            break;
        if (++attempts % 10 == 0)
            dfa_log(DFA_LOG_WARN, "outage_continues", "attempts=%d error=\"%s\"", attempts, err.msg);
        report_stats(c, false);
    }
    set_paused(c, false);
    dfa_log(DFA_LOG_INFO, "outage_over", "attempts=%d", attempts);
}

static void run(consumer *c)
{
    double batch_started = 0;
    while (!stop_requested) {
        size_t waiting = c->n_pending - c->in_flight; /* not yet sent to Redis */
        int wait_ms = 100;
        if (waiting) {
            double left = c->batch_ms / 1000.0 - (dfa_clock_seconds() - batch_started);
            wait_ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
        }
        take_message(c, rd_kafka_consumer_poll(c->rk, wait_ms));
        parse_pending(c); /* now, while Redis runs the batch in flight */
        size_t now_waiting = c->n_pending - c->in_flight;
        if (waiting == 0 && now_waiting > 0)
            batch_started = dfa_clock_seconds();
        bool full = now_waiting >= c->batch_events;
        bool due = now_waiting > 0 && dfa_clock_seconds() - batch_started >= c->batch_ms / 1000.0;
        dfa_error err = {0};
        dfa_status st = DFA_OK;
        if (full || due)
            st = flush_pending(c, false, &err);
        else if (now_waiting == 0 && c->in_flight)
            st = finish_in_flight(c, &err); /* idle: commit without waiting for more */
        if (st != DFA_OK)
            ride_out_outage(c, &err);
        if (!c->in_flight)
            report_stats(c, false);
    }
    /* SIGTERM: finish the batch in hand, within a bound */
    double deadline = dfa_clock_seconds() + 20;
    dfa_error err = {0};
    while (c->n_pending && dfa_clock_seconds() < deadline && flush_pending(c, true, &err) != DFA_OK)
        usleep(200000);
    if (c->n_pending)
        dfa_log(DFA_LOG_WARN, "shutdown_unflushed", "pending=%zu error=\"%s\"", c->n_pending, err.msg);
    report_stats(c, true);
}

static dfa_status open_kafka(consumer *c, const dfa_config *cfg, dfa_error *err)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(c->client_id, sizeof c->client_id, "dfa-consumer-%s-%d", host, (int)getpid());
    const char *group = dfa_config_str(cfg, "consumer.group");
    /* Eager "range", not "cooperative-sticky" (BENCHMARKS.md, "Rebalance disruption"): with the
     * cooperative protocol the commit after a batch is in flight across this member's JoinGroup and
     * comes back ILLEGAL_GENERATION; librdkafka before 2.10 (its issue #4059) then drops the generation,
     * fails the SyncGroup and revokes the whole assignment as lost, and the group needs another round.
     * Eager revokes before it joins, so nothing is committed across the join. Exactly-once does not
     * depend on the protocol (docs/exactly-once.md). */
    const char *const defaults[][2] = {{"group.id", group},
                                       {"client.id", c->client_id},
                                       {"auto.offset.reset", "earliest"},
                                       {"partition.assignment.strategy", "range"},
                                       {"enable.partition.eof", "false"}};
    rd_kafka_conf_t *conf;
    dfa_status st = dfa_kafka_conf(cfg, defaults, 5, &conf, err);
    if (st != DFA_OK)
        return st;
    /* exactly-once rests on committing only after Redis: not overridable */
    char errstr[512];
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", errstr, sizeof errstr);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, c);
    if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        return dfa_fail(err, DFA_ERR_CONFIG, "kafka consumer: %s", errstr);
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, dfa_config_str(cfg, "topic.events"), RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e)
        return dfa_fail(err, DFA_ERR_CONFIG, "subscribe %s: %s", dfa_config_str(cfg, "topic.events"), rd_kafka_err2str(e));
    return DFA_OK;
}

/* dfa-consumer --stats: every live consumer's last stats line. */
typedef struct {
    dfa_redis *redis;
    size_t shown;
} stats_walk;

/* Prints the stats line of one consumer's key, when it has one. */
static dfa_status print_one(void *ctx, const char *key, dfa_error *err)
{
    stats_walk *w = ctx;
    const char *get[] = {"HGET", key, "stats"};
    size_t len[] = {4, strlen(key), 5};
    dfa_redis_cmd g = {3, get, len};
    redisReply *v = NULL;
    dfa_status st = dfa_redis_pipeline(w->redis, &g, 1, &v, err);
    if (st == DFA_OK && v->type == REDIS_REPLY_STRING) {
        printf("%s %s\n", key + strlen("dfa:consumer:"), v->str);
        w->shown++;
    }
    freeReplyObject(v);
    return st;
}

/* Every live consumer's stats line; exit 1 when none has reported. */
static int print_stats(const dfa_config *cfg)
{
    stats_walk w = {0};
    dfa_error err = {0};
    if (dfa_redis_new(cfg, &w.redis, &err) != DFA_OK || dfa_redis_connect(w.redis, &err) != DFA_OK ||
        dfa_redis_scan(w.redis, "dfa:consumer:*", print_one, &w, &err) != DFA_OK) {
        fprintf(stderr, "dfa-consumer: %s\n", err.msg);
        dfa_redis_free(w.redis);
        return 2;
    }
    dfa_redis_free(w.redis);
    return w.shown ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {DFA_CONFIG_LONG_OPTIONS, {"stats", no_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    dfa_config_args args = {0};
    bool stats_only = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'S': stats_only = true; break;
        case 'h':
            printf("usage: dfa-consumer [--config FILE] [--set key=value]... [--stats]\n"
                   "  consumes topic.events in consumer.group into Redis; --stats prints every live consumer's stats\n");
            return 0;
        default:
            if (!dfa_config_args_take(&args, ch, optarg))
                return 2;
        }
    }
    dfa_error err = {0};
    dfa_config *cfg = dfa_config_startup("dfa-consumer", &args, environ, NULL);
    if (!cfg)
        return 2;
    dfa_log_init("dfa-consumer", dfa_config_str(cfg, "log.level"));
    if (stats_only) {
        int rc = print_stats(cfg);
        dfa_config_free(cfg);
        return rc;
    }
    consumer c = {.batch_events = (size_t)dfa_config_int(cfg, "consumer.batch_events"),
                  .batch_ms = (int)dfa_config_int(cfg, "consumer.batch_ms"),
                  .stats_interval_s = (int)dfa_config_int(cfg, "consumer.stats_interval_s"),
                  .last_stats_at = dfa_clock_seconds()};
    int rc = 0;
    if (dfa_core_open(dfa_config_str(cfg, "catalog"), dfa_config_str(cfg, "provinces"), &c.core, &err) != DFA_OK ||
        dfa_redis_new(cfg, &c.redis, &err) != DFA_OK || dfa_redis_connect(c.redis, &err) != DFA_OK ||
        dfa_applier_new(c.redis, c.core, (size_t)dfa_config_int(cfg, "consumer.max_keys"),
                        (int)dfa_config_int(cfg, "consumer.dedupe_days"), &c.applier, &err) != DFA_OK ||
        dfa_deadletter_new(cfg, &c.dlq, &err) != DFA_OK || open_kafka(&c, cfg, &err) != DFA_OK) {
        fprintf(stderr, "dfa-consumer: %s\n", err.msg);
        rc = 2;
    } else {
        signal(SIGTERM, on_stop);
        signal(SIGINT, on_stop);
        dfa_log(DFA_LOG_INFO, "started", "client_id=%s group=%s topic=%s", c.client_id,
                dfa_config_str(cfg, "consumer.group"), dfa_config_str(cfg, "topic.events"));
        run(&c);
        rd_kafka_consumer_close(c.rk);
        dfa_log(DFA_LOG_INFO, "stopped", "messages=%llu", (unsigned long long)c.stats.messages);
    }
    if (c.rk)
        rd_kafka_destroy(c.rk);
    free_events(&c, c.n_parsed);
    for (size_t i = 0; i < c.n_pending; i++)
        rd_kafka_message_destroy(c.pending[i]);
    free(c.pending);
    free(c.items);
    dfa_deadletter_free(c.dlq);
    dfa_applier_free(c.applier);
    dfa_redis_free(c.redis);
    dfa_core_free(c.core);
    dfa_config_free(cfg);
    return rc;
}
