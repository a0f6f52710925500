#include "dfa_deadletter.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_array.h"
#include "dfa_clock.h"
#include "dfa_kafka.h"
#include "dfa_log.h"

/* Room left beside key, value and headers for the framing of the record
 * (librdkafka counts 36 bytes at most) and of its batch (61), with margin. */
#define FRAMING_BYTES 1024
/* A header's name and value lengths, as varints, at most. */
#define HEADER_FRAMING 10
/* librdkafka's own default, should the producer not say. */
#define DEFAULT_MAX_BYTES 1000000

/* Each form is tried after the one before was refused for good. */
typedef enum { FORM_FULL, FORM_CUT, FORM_HEADERS_ONLY, FORM__COUNT } dl_form;
static const char *const form_names[FORM__COUNT] = {"full", "cut", "headers_only"};

typedef enum {
    REC_UNSENT,    /* for the next send: new, made smaller, or failed in an earlier settle */
    REC_IN_FLIGHT, /* librdkafka holds it, and retries it itself, until its delivery report */
    REC_FAILED,    /* failed in this settle for a reason that may pass: sent again by the next */
    REC_ACKED,     /* in the topic */
    REC_LOST,      /* refused in every form */
} dl_state;

typedef struct {
    char *bytes; /* the first `kept` bytes of the original: all of them when a full copy may be sent */
    size_t kept;
    size_t size;  /* the original's */
    bool present; /* a missing key (or value) is sent missing, an empty one empty */
    char sha256[crypto_hash_sha256_BYTES * 2 + 1];
} dl_part;

typedef struct {
    dl_part key, value;
    const char *code; /* static */
    char reason[DFA_ERROR_MSG_MAX];
    char topic[256], partition[16], offset[24]; /* the source, as the headers give it */
    dl_form form;
    dl_state state;
    rd_kafka_resp_err_t last_err;
} dl_record;

struct dfa_deadletter {
    rd_kafka_t *rk;
    char topic[256];
    size_t max_bytes; /* the producer's message.max.bytes */
    size_t cut_bytes; /* consumer.deadletter_cut_bytes */
    dl_record **records; /* the records owed */
    size_t n, cap;
    dfa_deadletter_stats stats;
};

/* Errors that say the record will never be taken as it is, however long we
 * wait: only a smaller one may go. Anything else (brokers down, timeouts,
 * authorisation, an unknown topic) is an outage that may pass. */
static bool refused_for_good(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE: /* also rd_kafka_producev's own size check */
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
        return true;
    default:
        return false;
    }
}

static void record_free(dl_record *r)
{
    if (!r)
        return;
    free(r->key.bytes);
    free(r->value.bytes);
    free(r);
}

/* Fingerprints the original's bytes and keeps a copy of the first `keep`
 * of them (freed with the record by record_free). false when out of memory. */
static bool part_init(dl_part *p, const void *bytes, size_t size, size_t keep)
{
    static const unsigned char none[1];
    unsigned char digest[crypto_hash_sha256_BYTES];
    p->present = bytes != NULL;
    p->size = bytes ? size : 0;
    crypto_hash_sha256(digest, bytes ? bytes : none, p->size);
    sodium_bin2hex(p->sha256, sizeof p->sha256, digest, sizeof digest);
    p->kept = keep < p->size ? keep : p->size;
    if (!(p->bytes = malloc(p->kept ? p->kept : 1)))
        return false;
    memcpy(p->bytes, bytes ? bytes : none, p->kept);
    return true;
}

static size_t header_bytes(const char *name, const char *value) { return strlen(name) + strlen(value) + HEADER_FRAMING; }

/* Whether the full copy fits the producer's limit with its headers: the
 * headers a cut copy adds are not counted, as a full copy has none of them. */
static bool full_copy_fits(const dfa_deadletter *d, const dl_record *r, size_t key_size, size_t value_size)
{
    size_t headers = header_bytes("dfa.error", r->code) + header_bytes("dfa.reason", r->reason) +
                     header_bytes("dfa.source.topic", r->topic) + header_bytes("dfa.source.partition", r->partition) +
                     header_bytes("dfa.source.offset", r->offset);
    return key_size + value_size + headers + FRAMING_BYTES <= d->max_bytes;
}

/* A record of src: a full copy when it fits, else a cut one from the start
 * (librdkafka would refuse it anyway). NULL when out of memory; freed by
 * record_free. */
static dl_record *record_new(const dfa_deadletter *d, const rd_kafka_message_t *src, const char *code,
                             const char *reason)
{
    dl_record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->code = code;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    snprintf(r->topic, sizeof r->topic, "%s", rd_kafka_topic_name(src->rkt));
    snprintf(r->partition, sizeof r->partition, "%d", (int)src->partition);
    snprintf(r->offset, sizeof r->offset, "%lld", (long long)src->offset);
    size_t key_size = src->key ? src->key_len : 0, value_size = src->payload ? src->len : 0;
    r->form = full_copy_fits(d, r, key_size, value_size) ? FORM_FULL : FORM_CUT;
    bool full = r->form == FORM_FULL;
    if (!part_init(&r->key, src->key, key_size, full ? key_size : d->cut_bytes) ||
        !part_init(&r->value, src->payload, value_size, full ? value_size : d->cut_bytes)) {
        record_free(r);
        return NULL;
    }
    return r;
}

/* The record's headers in its form; producev takes them when it succeeds. */
static rd_kafka_headers_t *record_headers(const dl_record *r)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(10);
    rd_kafka_header_add(h, "dfa.error", -1, r->code, -1);
    rd_kafka_header_add(h, "dfa.reason", -1, r->reason, -1);
    rd_kafka_header_add(h, "dfa.source.topic", -1, r->topic, -1);
    rd_kafka_header_add(h, "dfa.source.partition", -1, r->partition, -1);
    rd_kafka_header_add(h, "dfa.source.offset", -1, r->offset, -1);
    if (r->form == FORM_FULL)
        return h;
    char key_size[24], value_size[24];
    snprintf(key_size, sizeof key_size, "%zu", r->key.size);
    snprintf(value_size, sizeof value_size, "%zu", r->value.size);
    rd_kafka_header_add(h, "dfa.truncated", -1, form_names[r->form], -1);
    rd_kafka_header_add(h, "dfa.value.size", -1, value_size, -1);
    rd_kafka_header_add(h, "dfa.value.sha256", -1, r->value.sha256, -1);
    rd_kafka_header_add(h, "dfa.key.size", -1, key_size, -1);
    rd_kafka_header_add(h, "dfa.key.sha256", -1, r->key.sha256, -1);
    return h;
}

/* What of a part the form sends: NULL for nothing, else *len bytes. */
static char *part_bytes(const dl_part *p, dl_form form, size_t cut, size_t *len)
{
    *len = 0;
    if (form == FORM_HEADERS_ONLY || !p->present)
        return NULL;
    *len = form == FORM_CUT && p->kept > cut ? cut : p->kept;
    return p->bytes;
}

static rd_kafka_resp_err_t produce(dfa_deadletter *d, dl_record *r)
{
    size_t key_len, value_len;
    char *key = part_bytes(&r->key, r->form, d->cut_bytes, &key_len);
    char *value = part_bytes(&r->value, r->form, d->cut_bytes, &value_len);
    rd_kafka_headers_t *h = record_headers(r);
    /* no copy: the record keeps its bytes until its delivery report */
    rd_kafka_resp_err_t e = rd_kafka_producev(d->rk, RD_KAFKA_V_TOPIC(d->topic), RD_KAFKA_V_MSGFLAGS(0),
                                              RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_KEY(key, key_len),
                                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(r), RD_KAFKA_V_END);
    if (e)
        rd_kafka_headers_destroy(h);
    return e;
}

/* r was refused for good as it is: next time smaller, or, refused in every
 * form, given up, logged with all that identifies the original. */
static void step_down(dfa_deadletter *d, dl_record *r, rd_kafka_resp_err_t e)
{
    r->last_err = e;
    if (r->form + 1 < FORM__COUNT) {
        dfa_log(DFA_LOG_WARN, "deadletter_refused",
                "source_topic=%s source_partition=%s source_offset=%s form=%s next=%s error=\"%s\"", r->topic,
                r->partition, r->offset, form_names[r->form], form_names[r->form + 1], rd_kafka_err2str(e));
        r->form++;
        r->state = REC_UNSENT;
        return;
    }
    r->state = REC_LOST;
    d->stats.lost++;
    dfa_log(DFA_LOG_ERROR, "deadletter_lost",
            "source_topic=%s source_partition=%s source_offset=%s code=%s error=\"%s\" value_size=%zu "
            "value_sha256=%s key_size=%zu key_sha256=%s",
            r->topic, r->partition, r->offset, r->code, rd_kafka_err2str(e), r->value.size, r->value.sha256,
            r->key.size, r->key.sha256);
}

/* Hands an unsent record to librdkafka, smaller at once when librdkafka
 * itself refuses it (rd_kafka_producev checks message.max.bytes). */
static void send_one(dfa_deadletter *d, dl_record *r)
{
    while (r->state == REC_UNSENT) {
        rd_kafka_resp_err_t e = produce(d, r);
        if (!e) {
            r->state = REC_IN_FLIGHT;
        } else if (refused_for_good(e)) {
            step_down(d, r, e);
        } else {
            r->state = REC_FAILED; /* a full queue, a fatal producer, no such topic: later */
            r->last_err = e;
        }
    }
}

/* Sends every unsent record; returns how many are in flight then. */
static size_t send_unsent(dfa_deadletter *d)
{
    size_t in_flight = 0;
    for (size_t i = 0; i < d->n; i++) {
        send_one(d, d->records[i]);
        in_flight += d->records[i]->state == REC_IN_FLIGHT;
    }
    return in_flight;
}

/* Served by rd_kafka_flush, on the caller's thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dfa_deadletter *d = opaque;
    dl_record *r = m->_private;
    if (!m->err) {
        r->state = REC_ACKED;
        if (r->form != FORM_FULL) {
            d->stats.cut++;
            dfa_log(DFA_LOG_INFO, "deadletter_cut",
                    "source_topic=%s source_partition=%s source_offset=%s form=%s value_size=%zu key_size=%zu", r->topic,
                    r->partition, r->offset, form_names[r->form], r->value.size, r->key.size);
        }
    } else if (refused_for_good(m->err)) {
        step_down(d, r, m->err);
    } else {
        r->state = REC_FAILED;
        r->last_err = m->err;
    }
}

/* Frees the records acknowledged or given up. */
static void drop_settled(dfa_deadletter *d)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->n; i++) {
        dl_record *r = d->records[i];
        if (r->state == REC_ACKED || r->state == REC_LOST)
            record_free(r);
        else
            d->records[kept++] = r;
    }
    d->n = kept;
}

static size_t producer_max_bytes(rd_kafka_t *rk)
{
    char value[32];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "message.max.bytes", value, &size) != RD_KAFKA_CONF_OK)
        return DEFAULT_MAX_BYTES;
    return (size_t)strtoull(value, NULL, 10);
}

dfa_status dfa_deadletter_new(const dfa_config *cfg, dfa_deadletter **out, dfa_error *err)
{
    dfa_deadletter *d = calloc(1, sizeof *d);
    if (!d)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(d->topic, sizeof d->topic, "%s", dfa_config_str(cfg, "topic.deadletter"));
    d->cut_bytes = (size_t)dfa_config_int(cfg, "consumer.deadletter_cut_bytes");
    static const char *const defaults[][2] = {{"linger.ms", "5"}};
    dfa_status st = dfa_kafka_producer_new(cfg, defaults, 1, on_delivery, d, &d->rk, err);
    if (st != DFA_OK) {
        dfa_error_prefix(err, "dead-letter producer");
        free(d);
        return st;
    }
    d->max_bytes = producer_max_bytes(d->rk); /* kafka.message.max.bytes, or librdkafka's default */
    *out = d;
    return DFA_OK;
}

void dfa_deadletter_free(dfa_deadletter *d)
{
    if (!d)
        return;
    if (d->n)
        dfa_deadletter_settle(d, 5000, NULL);
    /* what is left goes now, so that librdkafka lets go of the records' bytes */
    rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(d->rk, 1000);
    rd_kafka_destroy(d->rk);
    for (size_t i = 0; i < d->n; i++) {
        dl_record *r = d->records[i];
        dfa_log(DFA_LOG_WARN, "deadletter_unsent", "source_topic=%s source_partition=%s source_offset=%s code=%s",
                r->topic, r->partition, r->offset, r->code);
        record_free(r);
    }
    free(d->records);
    free(d);
}

dfa_status dfa_deadletter_send(dfa_deadletter *d, const rd_kafka_message_t *src, const char *code, const char *reason,
                               dfa_error *err)
{
    if (!dfa_array_reserve((void **)&d->records, &d->cap, d->n + 1, sizeof *d->records))
        return dfa_fail(err, DFA_ERR_NOMEM, "dead-letter: out of memory");
    dl_record *r = record_new(d, src, code, reason);
    if (!r)
        return dfa_fail(err, DFA_ERR_NOMEM, "dead-letter: out of memory for a record of %zu bytes", src->len);
    d->records[d->n++] = r;
    send_one(d, r);
    return DFA_OK;
}

/* Why records are still owed, as an outage. */
static dfa_status owed_error(const dfa_deadletter *d, dfa_error *err)
{
    size_t failed = 0;
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (size_t i = 0; i < d->n; i++)
        if (d->records[i]->state == REC_FAILED) {
            failed++;
            last = d->records[i]->last_err;
        }
    return dfa_fail(err, DFA_ERR_IO, "dead-letter: %zu records owed, %zu failed (%s), the rest unacknowledged", d->n,
                    failed, failed ? rd_kafka_err2str(last) : "none");
}

dfa_status dfa_deadletter_settle(dfa_deadletter *d, int timeout_ms, dfa_error *err)
{
    double deadline = dfa_clock_seconds() + timeout_ms / 1000.0;
    for (size_t i = 0; i < d->n; i++)
        if (d->records[i]->state == REC_FAILED)
            d->records[i]->state = REC_UNSENT;
    /* A record that fails now waits for the next settle: the caller pauses
     * in between. One refused for good is sent again smaller at once. */
    while (send_unsent(d) > 0) {
        double left = deadline - dfa_clock_seconds();
        if (left <= 0)
            break;
        rd_kafka_flush(d->rk, left > 0.1 ? 100 : (int)(left * 1000) + 1); /* serves the delivery reports */
    }
    drop_settled(d);
    return d->n ? owed_error(d, err) : DFA_OK;
}

size_t dfa_deadletter_owed(const dfa_deadletter *d) { return d->n; }

const dfa_deadletter_stats *dfa_deadletter_stats_of(const dfa_deadletter *d) { return &d->stats; }
