#include "dfa_producer.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_event.h"
#include "dfa_event_builder.h"
#include "dfa_sender.h"

struct dfa_producer {
    dfa_sender *sender; /* serves the delivery reports, so callers never poll */
    rd_kafka_t *rk;     /* the sender's */
    const dfa_core *core;
    dfa_delivery_fn on_delivery;
    void *ctx;
    atomic_uint_fast64_t in_flight;
};

/* What librdkafka carries for each message until its delivery report. */
typedef struct {
    uint64_t tag;
    char event_id[DFA_EVENT_ID_MAX + 1];
} message_ticket;

static void delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dfa_producer *p = opaque;
    message_ticket *t = m->_private;
    if (p->on_delivery)
        p->on_delivery(p->ctx, t->event_id, t->tag, m->err ? rd_kafka_err2str(m->err) : NULL);
    free(t);
    atomic_fetch_sub(&p->in_flight, 1);
}

dfa_status dfa_producer_new(const dfa_config *cfg, const dfa_core *core, dfa_delivery_fn on_delivery, void *ctx,
                            dfa_producer **out, dfa_error *err)
{
    dfa_producer *p = calloc(1, sizeof *p);
    if (!p)
        return dfa_fail(err, DFA_ERR_NOMEM, "producer: out of memory");
    p->core = core;
    p->on_delivery = on_delivery;
    p->ctx = ctx;
    /* lz4 and moderate batches: see dfa_loadgen_sink.c */
    static const char *const producer_defaults[][2] = {
        {"linger.ms", "5"}, {"compression.type", "lz4"}, {"batch.size", "262144"}};
    dfa_status st = dfa_sender_new(cfg, dfa_config_str(cfg, "topic.events"), producer_defaults, 3, delivery_report,
                                   p, &p->sender, err);
    if (st != DFA_OK) {
        free(p);
        return st;
    }
    p->rk = dfa_sender_kafka(p->sender);
    *out = p;
    return DFA_OK;
}

dfa_status dfa_producer_send_json(dfa_producer *p, const char *json, size_t len, uint64_t tag, dfa_error *err)
{
    dfa_event *ev = NULL;
    dfa_status st = dfa_event_parse(p->core, json, len, &ev, err);
    if (st != DFA_OK)
        return st;
    message_ticket *t = malloc(sizeof *t);
    if (!t) {
        dfa_event_free(ev);
        return dfa_fail(err, DFA_ERR_NOMEM, "producer: out of memory");
    }
    t->tag = tag;
    snprintf(t->event_id, sizeof t->event_id, "%s", dfa_event_id(ev));
    const char *key = dfa_event_current_unit(ev)->code;
    atomic_fetch_add(&p->in_flight, 1);
    for (;;) {
        if (rd_kafka_produce(dfa_sender_topic(p->sender), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)json, len, key,
                             strlen(key), t) == 0)
            break;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            atomic_fetch_sub(&p->in_flight, 1);
            free(t);
            dfa_event_free(ev);
            return dfa_fail(err, DFA_ERR_IO, "produce: %s", rd_kafka_err2str(e));
        }
        rd_kafka_poll(p->rk, 50); /* the queue drains as reports arrive */
    }
    dfa_event_free(ev);
    return DFA_OK;
}

dfa_status dfa_producer_send_built(dfa_producer *p, const dfa_event_builder *b, uint64_t tag, dfa_error *err)
{
    char *json = dfa_event_builder_json(b);
    if (!json)
        return dfa_fail(err, DFA_ERR_NOMEM, "producer: out of memory");
    dfa_status st = dfa_producer_send_json(p, json, strlen(json), tag, err);
    free(json);
    return st;
}

dfa_status dfa_producer_flush(dfa_producer *p, int timeout_ms, dfa_error *err)
{
    rd_kafka_flush(p->rk, timeout_ms);
    /* the poller may still be running the last callbacks */
    for (int waited = 0; atomic_load(&p->in_flight) > 0 && waited < 2000; waited += 10)
        rd_kafka_poll(p->rk, 10);
    uint64_t left = atomic_load(&p->in_flight);
    if (left)
        return dfa_fail(err, DFA_ERR_LIMIT, "%llu events still in flight after %d ms", (unsigned long long)left,
                        timeout_ms);
    return DFA_OK;
}

uint64_t dfa_producer_in_flight(const dfa_producer *p) { return atomic_load(&p->in_flight); }

void dfa_producer_free(dfa_producer *p)
{
    if (!p)
        return;
    dfa_sender_free(p->sender); /* whatever is still queued is purged and reported as failed */
    free(p);
}
