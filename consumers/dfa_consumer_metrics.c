#include "dfa_consumer_metrics.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_http.h"
#include "dfa_metrics.h"

static const char *const outcome_names[DFA_OUTCOME__COUNT] = {
    [DFA_OUTCOME_PENDING] = NULL,
    [DFA_OUTCOME_COUNTED] = "counted",
    [DFA_OUTCOME_RETRACTED] = "retracted",
    [DFA_OUTCOME_TOMBSTONE] = "tombstone",
    [DFA_OUTCOME_CANCELLED] = "cancelled",
    [DFA_OUTCOME_ALREADY_RETRACTED] = "already_retracted",
    [DFA_OUTCOME_DUPLICATE] = "duplicate",
    [DFA_OUTCOME_REPLAYED] = "replayed",
    [DFA_OUTCOME_DEAD_LETTER] = "dead_letter",
};

struct dfa_consumer_metrics {
    dfa_metrics *reg;
    dfa_http_server *srv;
    char *group, labels[256];
    atomic_bool healthy;
    dfa_consumer_figures last; /* what the counters hold already */
    dfa_counter *batches, *outcomes[DFA_OUTCOME__COUNT], *round_trips, *conflicts, *redos, *commit_failures,
        *redis_failures, *dead_letter_failures, *cut, *lost;
};

static void serve_health(dfa_http_request *req, void *ctx)
{
    dfa_consumer_metrics *m = ctx;
    if (atomic_load(&m->healthy))
        dfa_http_respond(req, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
    else
        dfa_http_error(req, 503, "outage", "Redis or the dead-letter topic is unreachable; the consumer is retrying");
}

static dfa_counter *counter(dfa_consumer_metrics *m, const char *name, const char *help, const char *extra)
{
    char labels[320];
    snprintf(labels, sizeof labels, "%s%s%s", m->labels, extra ? "," : "", extra ? extra : "");
    return dfa_metrics_counter(m->reg, name, help, labels);
}

dfa_status dfa_consumer_metrics_start(const char *listen, const char *group, const char *client_id,
                                      dfa_consumer_metrics **out, dfa_error *err)
{
    dfa_consumer_metrics *m = calloc(1, sizeof *m);
    if (!m || !(m->reg = dfa_metrics_new()) || !(m->group = strdup(group))) {
        dfa_consumer_metrics_free(m);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    atomic_init(&m->healthy, true);
    snprintf(m->labels, sizeof m->labels, "consumergroup=\"%s\",client_id=\"%s\"", group, client_id);
    m->batches = counter(m, "dfa_consumer_batches_total", "Batches applied to Redis", NULL);
    for (int i = 0; i < DFA_OUTCOME__COUNT; i++) {
        if (!outcome_names[i])
            continue;
        char l[64];
        snprintf(l, sizeof l, "outcome=\"%s\"", outcome_names[i]);
        m->outcomes[i] = counter(m, "dfa_consumer_messages_total", "Messages settled, by outcome", l);
    }
    m->round_trips = counter(m, "dfa_consumer_redis_round_trips_total", "Round trips to Redis (each serves every province of a batch)", NULL);
    m->conflicts = counter(m, "dfa_consumer_transaction_conflicts_total",
                           "Province transactions refused by their WATCH fence (another writer moved its markers)", NULL);
    m->redos = counter(m, "dfa_consumer_transaction_redos_total", "Rounds read and decided again after a refused transaction", NULL);
    m->commit_failures = counter(m, "dfa_consumer_commit_failures_total", "Kafka offset commits that failed", NULL);
    m->redis_failures = counter(m, "dfa_consumer_redis_failures_total", "Batches that failed on Redis and were retried", NULL);
    m->dead_letter_failures = counter(m, "dfa_consumer_dead_letter_failures_total",
                                      "Times a batch's dead letters were not all acknowledged", NULL);
    m->cut = counter(m, "dfa_consumer_dead_letters_cut_total", "Dead letters sent as a cut copy or headers only", NULL);
    m->lost = counter(m, "dfa_consumer_dead_letters_lost_total", "Dead letters refused in every form", NULL);
    dfa_http_options o = dfa_http_defaults();
    o.listen = listen;
    o.threads = 1;
    o.max_connections = 16;
    o.max_per_ip = 8;
    o.max_body_memory = 1u << 20;
    o.name = "dfa-consumer";
    dfa_status st = dfa_http_server_new(&o, m->reg, &m->srv, err);
    if (st == DFA_OK)
        st = dfa_http_serve_metrics(m->srv, "/metrics", err);
    if (st == DFA_OK)
        st = dfa_http_route(m->srv, "GET", "/healthz", &(dfa_http_route_spec){.handle = serve_health, .ctx = m}, err);
    if (st == DFA_OK)
        st = dfa_http_start(m->srv, err);
    if (st != DFA_OK) {
        dfa_consumer_metrics_free(m);
        return st;
    }
    *out = m;
    return DFA_OK;
}

void dfa_consumer_metrics_free(dfa_consumer_metrics *m)
{
    if (!m)
        return;
    dfa_http_server_free(m->srv);
    dfa_metrics_free(m->reg);
    free(m->group);
    free(m);
}

static void advance(dfa_counter *c, uint64_t *was, uint64_t now)
{
    if (now > *was)
        dfa_counter_add(c, now - *was);
    *was = now;
}

void dfa_consumer_metrics_update(dfa_consumer_metrics *m, const dfa_consumer_figures *f)
{
    if (!m)
        return;
    dfa_consumer_figures *l = &m->last;
    advance(m->batches, &l->batches, f->batches);
    for (int i = 0; i < DFA_OUTCOME__COUNT; i++)
        if (m->outcomes[i])
            advance(m->outcomes[i], &l->outcomes[i], f->outcomes[i]);
    advance(m->round_trips, &l->redis_round_trips, f->redis_round_trips);
    advance(m->conflicts, &l->conflicts, f->conflicts);
    advance(m->redos, &l->redos, f->redos);
    advance(m->commit_failures, &l->commit_failures, f->commit_failures);
    advance(m->redis_failures, &l->redis_failures, f->redis_failures);
    advance(m->dead_letter_failures, &l->dead_letter_failures, f->dead_letter_failures);
    advance(m->cut, &l->dead_letters_cut, f->dead_letters_cut);
    advance(m->lost, &l->dead_letters_lost, f->dead_letters_lost);
}

void dfa_consumer_metrics_kafka_stats(dfa_consumer_metrics *m, const char *text, size_t len)
{
    if (!m)
        return;
    json_t *doc = json_loadb(text, len, 0, NULL);
    const char *topic, *part;
    json_t *t, *p;
    json_object_foreach(json_object_get(doc, "topics"), topic, t) {
        json_object_foreach(json_object_get(t, "partitions"), part, p) {
            json_t *lag = json_object_get(p, "consumer_lag");
            if (strcmp(part, "-1") == 0 || !json_is_integer(lag) || json_integer_value(lag) < 0)
                continue; /* the internal partition, or one this consumer does not hold */
            char labels[400];
            snprintf(labels, sizeof labels, "consumergroup=\"%s\",topic=\"%s\",partition=\"%s\"", m->group, topic, part);
            dfa_gauge_set(dfa_metrics_gauge(m->reg, "kafka_consumergroup_lag",
                                            "Messages between the group's committed offset and the end of the partition "
                                            "(librdkafka statistics, consumer_lag), per partition this consumer holds",
                                            labels),
                          json_integer_value(lag));
        }
    }
    json_decref(doc);
}

void dfa_consumer_metrics_healthy(dfa_consumer_metrics *m, bool healthy)
{
    if (m)
        atomic_store(&m->healthy, healthy);
}
