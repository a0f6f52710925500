#include "dfa_loadgen_sink.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_kafka.h"
#include "dfa_log.h"

struct dfa_loadgen_sink {
    FILE *file;
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    unsigned long long failed;
};

static void count_failures(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err)
        ((dfa_loadgen_sink *)opaque)->failed++;
}

/* Loadgen publishes raw lines (invalid ones too), so it cannot key by the
 * validated province: it keys by the line's "province" text, which keeps one
 * province's lines in order wherever they land. */
static void province_key(const char *line, size_t len, const char **key, size_t *key_len)
{
    const char *p = memmem(line, len, "\"province\":\"", 12);
    *key = "";
    *key_len = 0;
    if (!p)
        return;
    p += 12;
    const char *end = memchr(p, '"', len - (size_t)(p - line));
    if (end) {
        *key = p;
        *key_len = (size_t)(end - p);
    }
}

dfa_status dfa_loadgen_sink_open(const dfa_config *cfg, bool to_kafka, const char *path, dfa_loadgen_sink **out,
                                 dfa_error *err)
{
    dfa_loadgen_sink *s = calloc(1, sizeof *s);
    if (!s)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    if (!to_kafka) {
        s->file = !path || strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        if (!s->file) {
            free(s);
            return dfa_fail(err, DFA_ERR_IO, "%s: cannot open for writing", path);
        }
        *out = s;
        return DFA_OK;
    }
    /* lz4: the embedded broker (librdkafka 2.0's mock cluster) keeps at most
     * 5 MB per partition and drops the oldest beyond (docs/operations.md), so
     * compressed batches let a larger backlog wait for the consumers */
    static const char *const defaults[][2] = {{"linger.ms", "20"}, {"compression.type", "lz4"}, {"batch.size", "262144"}};
    dfa_status st = dfa_kafka_producer_new(cfg, defaults, 3, count_failures, s, &s->rk, err);
    if (st != DFA_OK) {
        free(s);
        return st;
    }
    s->topic = rd_kafka_topic_new(s->rk, dfa_config_str(cfg, "topic.events"), NULL);
    *out = s;
    return DFA_OK;
}

int dfa_loadgen_sink_write(dfa_loadgen_sink *s, const char *line, size_t len)
{
    if (s->file)
        return fwrite(line, 1, len, s->file) == len && fputc('\n', s->file) != EOF ? 0 : -1;
    const char *key;
    size_t key_len;
    province_key(line, len, &key, &key_len);
    while (rd_kafka_produce(s->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)line, len, key, key_len,
                            NULL) != 0) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return -1;
        rd_kafka_poll(s->rk, 50);
    }
    rd_kafka_poll(s->rk, 0);
    return 0;
}

int dfa_loadgen_sink_close(dfa_loadgen_sink *s)
{
    int rc = 0;
    if (s->file) {
        rc = fflush(s->file) == 0 ? 0 : -1;
        if (s->file != stdout && fclose(s->file) != 0)
            rc = -1;
    } else {
        rd_kafka_flush(s->rk, 60000);
        unsigned long long left = (unsigned long long)rd_kafka_outq_len(s->rk);
        if (s->failed || left) {
            dfa_log(DFA_LOG_ERROR, "loadgen_undelivered", "failed=%llu still_queued=%llu", s->failed, left);
            rc = -1;
        }
        rd_kafka_topic_destroy(s->topic);
        rd_kafka_destroy(s->rk);
    }
    free(s);
    return rc;
}
