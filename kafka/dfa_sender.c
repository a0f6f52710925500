#include "dfa_sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "dfa_kafka.h"

struct dfa_sender {
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    pthread_t poller;
    atomic_bool stopping;
};

static void *poll_loop(void *arg)
{
    dfa_sender *s = arg;
    while (!atomic_load(&s->stopping))
        rd_kafka_poll(s->rk, 100);
    return NULL;
}

dfa_status dfa_sender_new(const dfa_config *cfg, const char *topic, const char *const (*defaults)[2], size_t n,
                          void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *), void *opaque,
                          dfa_sender **out, dfa_error *err)
{
    dfa_sender *s = calloc(1, sizeof *s);
    if (!s)
        return dfa_fail(err, DFA_ERR_NOMEM, "producer: out of memory");
    dfa_status st = dfa_kafka_producer_new(cfg, defaults, n, on_delivery, opaque, &s->rk, err);
    if (st != DFA_OK) {
        free(s);
        return st;
    }
    s->topic = rd_kafka_topic_new(s->rk, topic, NULL);
    if (!s->topic || pthread_create(&s->poller, NULL, poll_loop, s) != 0) {
        if (s->topic)
            rd_kafka_topic_destroy(s->topic);
        rd_kafka_destroy(s->rk);
        free(s);
        return dfa_fail(err, DFA_ERR_NOMEM, "producer: cannot start");
    }
    *out = s;
    return DFA_OK;
}

rd_kafka_t *dfa_sender_kafka(const dfa_sender *s) { return s->rk; }
rd_kafka_topic_t *dfa_sender_topic(const dfa_sender *s) { return s->topic; }

void dfa_sender_free(dfa_sender *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    pthread_join(s->poller, NULL);
    rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(s->rk, 0); /* the purged messages' reports */
    rd_kafka_topic_destroy(s->topic);
    rd_kafka_destroy(s->rk);
    free(s);
}
