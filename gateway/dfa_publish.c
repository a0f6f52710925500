#include "dfa_publish.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_kafka.h"
#include "dfa_log.h"

struct dfa_publisher {
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    dfa_publish_fn on_delivery;
    pthread_t poller;
    atomic_bool stopping, down;
};

static void delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dfa_publisher *p = opaque;
    atomic_store(&p->down, m->err != RD_KAFKA_RESP_ERR_NO_ERROR);
    p->on_delivery(m->_private, m->err ? rd_kafka_err2str(m->err) : NULL);
}

static void *poll_loop(void *arg)
{
    dfa_publisher *p = arg;
    while (!atomic_load(&p->stopping))
        rd_kafka_poll(p->rk, 100);
    return NULL;
}

dfa_status dfa_publisher_new(const dfa_config *cfg, dfa_publish_fn on_delivery, dfa_publisher **out,
                             dfa_error *err)
{
    dfa_publisher *p = calloc(1, sizeof *p);
    if (!p)
        return dfa_fail(err, DFA_ERR_NOMEM, "publisher: out of memory");
    p->on_delivery = on_delivery;
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld", (long long)dfa_config_int(cfg, "gateway.delivery_timeout_ms"));
    /* a request waits for its reports: a short linger keeps one-event requests quick */
    const char *const defaults[][2] = {{"linger.ms", "2"}, {"compression.type", "lz4"},
                                       {"batch.size", "262144"}, {"message.timeout.ms", timeout}};
    dfa_status st = dfa_kafka_producer_new(cfg, defaults, 4, delivery_report, p, &p->rk, err);
    if (st != DFA_OK) {
        free(p);
        return st;
    }
    p->topic = rd_kafka_topic_new(p->rk, dfa_config_str(cfg, "topic.events"), NULL);
    if (!p->topic || pthread_create(&p->poller, NULL, poll_loop, p) != 0) {
        if (p->topic)
            rd_kafka_topic_destroy(p->topic);
        rd_kafka_destroy(p->rk);
        free(p);
        return dfa_fail(err, DFA_ERR_NOMEM, "publisher: cannot start");
    }
    *out = p;
    return DFA_OK;
}

dfa_status dfa_publish_send(dfa_publisher *p, const char *key, const char *value, size_t len, const char *token,
                            const char *received_at, void *opaque, dfa_error *err)
{
    for (int waited_ms = 0;; waited_ms += 10) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(2);
        rd_kafka_header_add(h, "dfa.token", -1, token, -1);
        rd_kafka_header_add(h, "dfa.received_at", -1, received_at, -1);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(p->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_HEADERS(h),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!e)
            return DFA_OK; /* the headers are librdkafka's now */
        rd_kafka_headers_destroy(h);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || waited_ms >= 1000)
            return dfa_fail(err, DFA_ERR_IO, "kafka: %s", rd_kafka_err2str(e));
        nanosleep(&(struct timespec){0, 10000000L}, NULL); /* the queue drains as reports arrive */
    }
}

bool dfa_publisher_kafka_down(const dfa_publisher *p) { return atomic_load(&p->down); }

void dfa_publisher_free(dfa_publisher *p, int timeout_ms)
{
    if (!p)
        return;
    rd_kafka_flush(p->rk, timeout_ms);
    atomic_store(&p->stopping, true);
    pthread_join(p->poller, NULL);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(p->rk, 0);
    rd_kafka_topic_destroy(p->topic);
    rd_kafka_destroy(p->rk);
    free(p);
}
