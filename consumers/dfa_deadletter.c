#include "dfa_deadletter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_kafka.h"

struct dfa_deadletter {
    rd_kafka_t *rk;
    char topic[256];
    uint64_t failed;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err)
        ((dfa_deadletter *)opaque)->failed++;
}

dfa_status dfa_deadletter_new(const dfa_config *cfg, dfa_deadletter **out, dfa_error *err)
{
    dfa_deadletter *d = calloc(1, sizeof *d);
    if (!d)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(d->topic, sizeof d->topic, "%s", dfa_config_str(cfg, "topic.deadletter"));
    static const char *const defaults[][2] = {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "5"}};
    rd_kafka_conf_t *conf;
    dfa_status st = dfa_kafka_conf(cfg, defaults, 3, &conf, err);
    if (st != DFA_OK) {
        free(d);
        return st;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, d);
    char errstr[512];
    if (!(d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        free(d);
        return dfa_fail(err, DFA_ERR_CONFIG, "dead-letter producer: %s", errstr);
    }
    *out = d;
    return DFA_OK;
}

void dfa_deadletter_free(dfa_deadletter *d)
{
    if (!d)
        return;
    rd_kafka_flush(d->rk, 5000);
    rd_kafka_destroy(d->rk);
    free(d);
}

dfa_status dfa_deadletter_send(dfa_deadletter *d, const rd_kafka_message_t *src, const char *code, const char *reason,
                               dfa_error *err)
{
    char partition[16], offset[24];
    snprintf(partition, sizeof partition, "%d", (int)src->partition);
    snprintf(offset, sizeof offset, "%lld", (long long)src->offset);
    const char *source_topic = rd_kafka_topic_name(src->rkt);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            d->rk, RD_KAFKA_V_TOPIC(d->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(src->payload, src->len), RD_KAFKA_V_KEY(src->key, src->key_len),
            RD_KAFKA_V_HEADER("dfa.error", code, -1), RD_KAFKA_V_HEADER("dfa.reason", reason, -1),
            RD_KAFKA_V_HEADER("dfa.source.topic", source_topic, -1),
            RD_KAFKA_V_HEADER("dfa.source.partition", partition, -1),
            RD_KAFKA_V_HEADER("dfa.source.offset", offset, -1), RD_KAFKA_V_END);
        if (!e)
            return DFA_OK;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return dfa_fail(err, DFA_ERR_IO, "dead-letter: %s", rd_kafka_err2str(e));
        rd_kafka_poll(d->rk, 50);
    }
}

dfa_status dfa_deadletter_flush(dfa_deadletter *d, int timeout_ms, dfa_error *err)
{
    rd_kafka_flush(d->rk, timeout_ms);
    int left = rd_kafka_outq_len(d->rk);
    uint64_t failed = d->failed;
    d->failed = 0;
    if (left || failed)
        return dfa_fail(err, DFA_ERR_IO, "dead-letter: %llu records failed, %d still queued", (unsigned long long)failed, left);
    return DFA_OK;
}
