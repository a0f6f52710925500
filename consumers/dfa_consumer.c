/* dfa-consumer: a daemon in a Kafka consumer group that aggregates events
 * into Redis counters exactly once (docs/exactly-once.md).
 *
 * Loop: poll, hand each message to the batch (dfa_batch, which validates and
 * stages it and owns it until it is committed), begin a batch when
 * consumer.batch_events wait or consumer.batch_ms has passed, and once it is
 * settled dead-letter what owes it (with the code and reason the batch gives)
 * and commit the offsets. While Redis runs one batch's transaction the next
 * messages are polled and handed over; the first is committed before the
 * second is sent. Once applied, a batch's outcomes are
 * final: a dead-letter outage keeps it in memory until the dead letters still
 * owed are acknowledged, without applying it again. A failed step is retried;
 * nothing is committed before Redis and the dead-letter topic hold their part. */
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
#include "dfa_batch.h"
#include "dfa_config.h"
#include "dfa_consumer_metrics.h"
#include "dfa_core.h"
#include "dfa_deadletter.h"
#include "dfa_event.h"
#include "dfa_kafka.h"
#include "dfa_keys.h"
#include "dfa_log.h"
#include "dfa_redis.h"

extern char **environ;

/* How long a batch waits for its dead letters' acknowledgement before the
 * dead-letter topic counts as down (the consumer then pauses and retries). */
#define DEADLETTER_WAIT_MS 30000

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig, stop_requested = 1; }

typedef struct {
    uint64_t messages, outcomes[DFA_OUTCOME__COUNT], batches, commits_failed, redis_failures, deadletter_failures;
} consumer_stats;

typedef struct {
    dfa_core *core;
    dfa_redis *redis;
    dfa_applier *applier;
    dfa_batch *batch; /* every message polled and not committed (their rd_kafka_message_t are its sources) */
    dfa_deadletter *dlq;
    dfa_consumer_metrics *metrics; /* NULL without consumer.metrics_listen */
    rd_kafka_t *rk;
    const char *topic;
    char client_id[128];
    size_t n_handed; /* of the batch's settled messages, those whose dead letters are with dlq */
    size_t batch_events;
    int batch_ms, stats_interval_s;
    consumer_stats stats, last_stats;
    double last_stats_at;
} consumer;

static rd_kafka_message_t *settled_message(const consumer *c, size_t i) { return dfa_batch_source_at(c->batch, i); }

/* Commits, per partition, the offset after the last settled message. */
static void commit_settled(consumer *c)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < dfa_batch_settled(c->batch); i++) {
        rd_kafka_message_t *m = settled_message(c, i);
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

static void destroy_message(void *ctx, void *source)
{
    (void)ctx;
    rd_kafka_message_destroy(source);
}

static void report_stats(consumer *c, bool force);

/* The figures since start, to /metrics. */
static void publish_metrics(consumer *c)
{
    if (!c->metrics)
        return;
    const dfa_deadletter_stats *dl = dfa_deadletter_stats_of(c->dlq);
    dfa_consumer_figures f = {.batches = c->stats.batches,
                              .redis_round_trips = dfa_applier_round_trips(c->applier),
                              .conflicts = dfa_applier_conflicts(c->applier),
                              .redos = dfa_applier_redos(c->applier),
                              .commit_failures = c->stats.commits_failed,
                              .redis_failures = c->stats.redis_failures,
                              .dead_letter_failures = c->stats.deadletter_failures,
                              .dead_letters_cut = dl->cut,
                              .dead_letters_lost = dl->lost};
    memcpy(f.outcomes, c->stats.outcomes, sizeof f.outcomes);
    dfa_consumer_metrics_update(c->metrics, &f);
}

/* Hands dlq the dead letters the settled messages owe and have not handed
 * yet: each once, whatever happens next. */
static dfa_status hand_dead_letters(consumer *c, dfa_error *err)
{
    for (; c->n_handed < dfa_batch_settled(c->batch); c->n_handed++) {
        const dfa_batch_item *it = dfa_batch_item_at(c->batch, c->n_handed);
        if (it->code && dfa_deadletter_send(c->dlq, settled_message(c, c->n_handed), it->code, it->reason, err) != DFA_OK)
            return DFA_ERR_NOMEM;
    }
    return DFA_OK;
}

/* Settles the settled messages: their dead letters acknowledged (only those
 * not yet are sent again; a record the topic cannot take goes smaller), then
 * the commit. On failure, the dead-letter topic being down, they stay for the
 * next call. */
static dfa_status commit_settled_batch(consumer *c, dfa_error *err)
{
    if (!dfa_batch_settled(c->batch))
        return DFA_OK;
    dfa_status st = hand_dead_letters(c, err);
    if (st == DFA_OK)
        st = dfa_deadletter_settle(c->dlq, DEADLETTER_WAIT_MS, err);
    if (st != DFA_OK) {
        c->stats.deadletter_failures++;
        return st;
    }
    commit_settled(c);
    dfa_batch_release(c->batch, destroy_message, NULL);
    c->n_handed = 0;
    publish_metrics(c);
    report_stats(c, false); /* the connection is free until the next begin */
    return DFA_OK;
}

/* The settled messages have their final outcomes: counted now, once. */
static void count_settled(consumer *c)
{
    size_t done = dfa_batch_settled(c->batch);
    c->n_handed = 0;
    for (size_t i = 0; i < done; i++)
        c->stats.outcomes[dfa_batch_item_at(c->batch, i)->outcome]++;
    c->stats.messages += done;
    c->stats.batches++;
    dfa_log(DFA_LOG_DEBUG, "batch", "events=%zu messages=%llu redis_round_trips=%llu", done,
            (unsigned long long)c->stats.messages, (unsigned long long)dfa_applier_round_trips(c->applier));
}

/* Waits for the batch in flight, then dead-letters and commits it. When
 * Redis failed nothing is in flight: the batch is begun again. */
static dfa_status finish_in_flight(consumer *c, dfa_error *err)
{
    if (!dfa_batch_in_flight(c->batch))
        return DFA_OK;
    if (dfa_batch_finish(c->batch, err) != DFA_OK) {
        c->stats.redis_failures++;
        return err ? err->code : DFA_ERR_IO;
    }
    count_settled(c);
    return commit_settled_batch(c, err);
}

/* Applies what waits (in several batches when it is large), dead-letters,
 * commits. With wait false the last batch is left in flight, so the caller
 * polls and hands over the next messages while Redis runs its transaction.
 * On failure what is not applied waits, and what is settled stays settled. */
static dfa_status flush_pending(consumer *c, bool wait, dfa_error *err)
{
    dfa_status st = commit_settled_batch(c, err); /* nothing is begun before the last batch is committed */
    if (st == DFA_OK)
        st = finish_in_flight(c, err);
    while (st == DFA_OK && dfa_batch_waiting(c->batch) > 0) {
        st = dfa_batch_begin(c->batch, c->topic, err);
        if (st != DFA_OK) {
            c->stats.redis_failures++;
            break;
        }
        if (!wait)
            break;
        st = finish_in_flight(c, err);
    }
    return st;
}

/* Drops a message of a revoked partition (uncommitted: its new owner reads it again). */
static bool drop_if_revoked(void *ctx, void *source)
{
    rd_kafka_message_t *m = source;
    if (!rd_kafka_topic_partition_list_find(ctx, rd_kafka_topic_name(m->rkt), m->partition))
        return false;
    rd_kafka_message_destroy(m);
    return true;
}

static bool drop_any(void *ctx, void *source)
{
    (void)ctx;
    rd_kafka_message_destroy(source);
    return true;
}

/* After a revocation we could not flush: forget the revoked partitions'
 * messages. The dead letters of those already settled stay with dlq, which
 * keeps sending them: their new owner sees them replayed and would not. */
static void drop_revoked(consumer *c, const rd_kafka_topic_partition_list_t *parts)
{
    dfa_error err = {0};
    if (hand_dead_letters(c, &err) != DFA_OK)
        dfa_log(DFA_LOG_ERROR, "dead_letters_dropped", "error=\"%s\"", err.msg);
    dfa_batch_forget(c->batch, drop_if_revoked, (void *)parts);
    c->n_handed = dfa_batch_settled(c->batch); /* every one left was handed just now */
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
    const dfa_deadletter_stats *dl = dfa_deadletter_stats_of(c->dlq);
    uint64_t msgs = s->messages - l->messages, batches = s->batches - l->batches;
    char lag[1024];
    format_lag(c, lag, sizeof lag);
    char line[2048];
    snprintf(line, sizeof line,
             "events_per_s=%.0f batches=%llu avg_batch=%.0f redis_round_trips=%llu messages=%llu counted=%llu "
             "retracted=%llu tombstones=%llu cancelled=%llu duplicates=%llu replayed=%llu dead_lettered=%llu "
             "commit_failures=%llu redis_failures=%llu dead_letter_failures=%llu dead_letters_cut=%llu "
             "dead_letters_lost=%llu lag=%s",
             secs > 0 ? (double)msgs / secs : 0.0, (unsigned long long)batches,
             batches ? (double)msgs / (double)batches : 0.0, (unsigned long long)dfa_applier_round_trips(c->applier),
             (unsigned long long)s->messages, (unsigned long long)s->outcomes[DFA_OUTCOME_COUNTED],
             (unsigned long long)s->outcomes[DFA_OUTCOME_RETRACTED], (unsigned long long)s->outcomes[DFA_OUTCOME_TOMBSTONE],
             (unsigned long long)s->outcomes[DFA_OUTCOME_CANCELLED], (unsigned long long)s->outcomes[DFA_OUTCOME_DUPLICATE],
             (unsigned long long)s->outcomes[DFA_OUTCOME_REPLAYED], (unsigned long long)s->outcomes[DFA_OUTCOME_DEAD_LETTER],
             (unsigned long long)s->commits_failed, (unsigned long long)s->redis_failures,
             (unsigned long long)s->deadletter_failures, (unsigned long long)dl->cut, (unsigned long long)dl->lost,
             *lag ? lag : "-");
    dfa_log(DFA_LOG_INFO, "stats", "%s", line);
    char key[DFA_KEY_MAX], ttl[16], updated[32];
    dfa_key_consumer(key, sizeof key, c->client_id);
    snprintf(ttl, sizeof ttl, "%d", c->stats_interval_s > 0 ? 3 * c->stats_interval_s : 60);
    snprintf(updated, sizeof updated, "%lld", (long long)time(NULL));
    const char *set[] = {"HSET", key, "stats", line, "updated", updated, "client", c->client_id};
    const char *expire[] = {"EXPIRE", key, ttl};
    dfa_resp *cmds = dfa_resp_new();
    redisReply *replies[2];
    if (cmds) {
        dfa_resp_argv(cmds, set, 8);
        dfa_resp_argv(cmds, expire, 3);
        if (dfa_redis_run(c->redis, cmds, replies, NULL) == DFA_OK)
            for (int i = 0; i < 2; i++)
                freeReplyObject(replies[i]);
    }
    dfa_resp_free(cmds);
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
    rd_kafka_timestamp_type_t tstype;
    dfa_message msg = {m->partition, m->offset, rd_kafka_message_timestamp(m, &tstype), m->payload, m->len, m};
    dfa_error err = {0};
    if (dfa_batch_take(c->batch, &msg, &err) != DFA_OK) {
        dfa_log(DFA_LOG_ERROR, "out_of_memory", "held=%zu error=\"%s\"", dfa_batch_held(c->batch), err.msg);
        rd_kafka_message_destroy(m); /* not committed: it will be read again */
    }
}

/* Redis or the dead-letter topic is down: stop fetching, keep the group
 * membership alive by polling, and retry until the batch goes through. */
static void ride_out_outage(consumer *c, const dfa_error *first)
{
    dfa_log(DFA_LOG_WARN, "outage", "error=\"%s\" pending=%zu", first->msg, dfa_batch_held(c->batch));
    dfa_consumer_metrics_healthy(c->metrics, false);
    publish_metrics(c);
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
    dfa_consumer_metrics_healthy(c->metrics, true);
    dfa_log(DFA_LOG_INFO, "outage_over", "attempts=%d", attempts);
}

static void run(consumer *c)
{
    double batch_started = 0;
    while (!stop_requested) {
        size_t waiting = dfa_batch_waiting(c->batch); /* not yet sent to Redis */
        int wait_ms = 100;
        if (waiting) {
            double left = c->batch_ms / 1000.0 - (dfa_clock_seconds() - batch_started);
            wait_ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
        }
        take_message(c, rd_kafka_consumer_poll(c->rk, wait_ms)); /* validated and staged now, while Redis works */
        size_t now_waiting = dfa_batch_waiting(c->batch);
        if (waiting == 0 && now_waiting > 0)
            batch_started = dfa_clock_seconds();
        bool full = now_waiting >= c->batch_events;
        bool due = now_waiting > 0 && dfa_clock_seconds() - batch_started >= c->batch_ms / 1000.0;
        dfa_error err = {0};
        dfa_status st = DFA_OK;
        if (full || due)
            st = flush_pending(c, false, &err);
        else if (now_waiting == 0 && dfa_batch_in_flight(c->batch))
            st = finish_in_flight(c, &err); /* idle: commit without waiting for more */
        if (st != DFA_OK)
            ride_out_outage(c, &err);
        if (!dfa_batch_in_flight(c->batch))
            report_stats(c, false);
    }
    /* SIGTERM: finish the batch in hand, within a bound */
    double deadline = dfa_clock_seconds() + 20;
    dfa_error err = {0};
    while (dfa_batch_held(c->batch) && dfa_clock_seconds() < deadline && flush_pending(c, true, &err) != DFA_OK)
        usleep(200000);
    if (dfa_batch_held(c->batch))
        dfa_log(DFA_LOG_WARN, "shutdown_unflushed", "pending=%zu error=\"%s\"", dfa_batch_held(c->batch), err.msg);
    report_stats(c, true);
}

/* librdkafka's statistics (statistics.interval.ms), served on the poll thread: lag for /metrics. */
static int on_kafka_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    dfa_consumer_metrics_kafka_stats(((consumer *)opaque)->metrics, json, len);
    return 0; /* librdkafka frees json */
}

static dfa_status open_kafka(consumer *c, const dfa_config *cfg, dfa_error *err)
{
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
                                       {"enable.partition.eof", "false"},
                                       {"statistics.interval.ms", "5000"}}; /* only with /metrics: see below */
    rd_kafka_conf_t *conf;
    dfa_status st = dfa_kafka_conf(cfg, defaults, c->metrics ? 6 : 5, &conf, err);
    if (st != DFA_OK)
        return st;
    /* exactly-once rests on committing only after Redis: not overridable */
    char errstr[512];
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", errstr, sizeof errstr);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    if (c->metrics)
        rd_kafka_conf_set_stats_cb(conf, on_kafka_stats);
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

/* The client id of Kafka, of the stats in Redis and of the metrics: host and process. */
static void name_client(consumer *c)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(c->client_id, sizeof c->client_id, "dfa-consumer-%s-%d", host, (int)getpid());
}

/* consumer.metrics_listen: /metrics and /healthz on that address. */
static dfa_status start_metrics(consumer *c, const dfa_config *cfg, dfa_error *err)
{
    const char *listen = dfa_config_str(cfg, "consumer.metrics_listen");
    if (!*listen)
        return DFA_OK;
    dfa_status st = dfa_consumer_metrics_start(listen, dfa_config_str(cfg, "consumer.group"), c->client_id, &c->metrics, err);
    if (st == DFA_OK)
        dfa_log(DFA_LOG_INFO, "metrics_listening", "address=%s", listen);
    return st;
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
    const char *get[] = {"HMGET", key, "client", "stats"};
    redisReply *v = NULL;
    dfa_status st = dfa_redis_call(w->redis, get, 4, &v, err);
    if (st == DFA_OK && v->type == REDIS_REPLY_ARRAY && v->elements == 2 && v->element[0]->type == REDIS_REPLY_STRING &&
        v->element[1]->type == REDIS_REPLY_STRING) {
        printf("%s %s\n", v->element[0]->str, v->element[1]->str);
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
        dfa_redis_scan(w.redis, DFA_KEY_CONSUMER_PREFIX "*", print_one, &w, &err) != DFA_OK) {
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
    consumer c = {.topic = dfa_config_str(cfg, "topic.events"),
                  .batch_events = (size_t)dfa_config_int(cfg, "consumer.batch_events"),
                  .batch_ms = (int)dfa_config_int(cfg, "consumer.batch_ms"),
                  .stats_interval_s = (int)dfa_config_int(cfg, "consumer.stats_interval_s"),
                  .last_stats_at = dfa_clock_seconds()};
    int rc = 0;
    name_client(&c);
    if (dfa_core_open(dfa_config_str(cfg, "catalog"), dfa_config_str(cfg, "provinces"), &c.core, &err) != DFA_OK ||
        dfa_redis_new(cfg, &c.redis, &err) != DFA_OK || dfa_redis_connect(c.redis, &err) != DFA_OK ||
        dfa_applier_new(c.redis, c.core, (size_t)dfa_config_int(cfg, "consumer.max_keys"),
                        (int)dfa_config_int(cfg, "consumer.horizon_years"), &c.applier, &err) != DFA_OK ||
        dfa_batch_new(c.applier, c.core, &c.batch, &err) != DFA_OK || dfa_deadletter_new(cfg, &c.dlq, &err) != DFA_OK ||
        start_metrics(&c, cfg, &err) != DFA_OK || open_kafka(&c, cfg, &err) != DFA_OK) {
        fprintf(stderr, "dfa-consumer: %s\n", err.msg);
        rc = 2;
    } else {
        dfa_applier_wait_replicas(c.applier, (int)dfa_config_int(cfg, "redis.wait_replicas"),
                                  (int)dfa_config_int(cfg, "redis.wait_timeout_ms"));
        signal(SIGTERM, on_stop);
        signal(SIGINT, on_stop);
        dfa_log(DFA_LOG_INFO, "started", "client_id=%s group=%s topic=%s", c.client_id,
                dfa_config_str(cfg, "consumer.group"), dfa_config_str(cfg, "topic.events"));
        run(&c);
        rd_kafka_consumer_close(c.rk);
        dfa_log(DFA_LOG_INFO, "stopped", "messages=%llu", (unsigned long long)c.stats.messages);
    }
    if (c.batch)
        dfa_batch_forget(c.batch, drop_any, NULL); /* uncommitted: read again by the next consumer */
    if (c.rk)
        rd_kafka_destroy(c.rk);
    dfa_consumer_metrics_free(c.metrics);
    dfa_batch_free(c.batch);
    dfa_deadletter_free(c.dlq);
    dfa_applier_free(c.applier);
    dfa_redis_free(c.redis);
    dfa_core_free(c.core);
    dfa_config_free(cfg);
    return rc;
}
