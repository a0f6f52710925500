#include "dfa_kafka.h"

#include <string.h>

#include "dfa_log.h"

/* librdkafka's own lines, in the pipeline's key=value format. One config
 * serves a program's consumer and producers alike, so warnings that a
 * property belongs to the other kind of client are expected and dropped. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "will be ignored by this"))
        return;
    char msg[512];
    dfa_log(level <= 3 ? DFA_LOG_ERROR : level <= 4 ? DFA_LOG_WARN : level <= 6 ? DFA_LOG_INFO : DFA_LOG_DEBUG,
            "kafka", "facility=%s msg=%s", fac, dfa_log_quote(buf, msg, sizeof msg));
}

static dfa_status set_property(rd_kafka_conf_t *conf, const char *name, const char *value, dfa_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return dfa_fail(err, DFA_ERR_CONFIG, "kafka.%s: %s", name, errstr);
    return DFA_OK;
}

static const char *const producer_basics[][2] = {{"enable.idempotence", "true"}, {"acks", "all"}};

/* The layers in order: the client kind's basics, the program's defaults,
 * then the config's kafka.* properties, which have the last word. */
static dfa_status build_conf(const dfa_config *cfg, const char *const (*basics)[2], size_t n_basics,
                             const char *const (*defaults)[2], size_t n, rd_kafka_conf_t **out, dfa_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log);
    dfa_status st = DFA_OK;
    for (size_t i = 0; st == DFA_OK && i < n_basics; i++)
        st = set_property(conf, basics[i][0], basics[i][1], err);
    for (size_t i = 0; st == DFA_OK && i < n; i++)
        st = set_property(conf, defaults[i][0], defaults[i][1], err);
    for (size_t i = 0; st == DFA_OK && i < dfa_config_kafka_count(cfg); i++) {
        const char *name, *value;
        dfa_config_kafka_at(cfg, i, &name, &value);
        st = set_property(conf, name, value, err);
    }
    if (st != DFA_OK) {
        rd_kafka_conf_destroy(conf);
        return st;
    }
    *out = conf;
    return DFA_OK;
}

dfa_status dfa_kafka_conf(const dfa_config *cfg, const char *const (*defaults)[2], size_t n, rd_kafka_conf_t **out,
                          dfa_error *err)
{
    return build_conf(cfg, NULL, 0, defaults, n, out, err);
}

dfa_status dfa_kafka_producer_new(const dfa_config *cfg, const char *const (*defaults)[2], size_t n,
                                  void (*on_delivery)(rd_kafka_t *, const rd_kafka_message_t *, void *), void *opaque,
                                  rd_kafka_t **out, dfa_error *err)
{
    rd_kafka_conf_t *conf;
    dfa_status st = build_conf(cfg, producer_basics, 2, defaults, n, &conf, err);
    if (st != DFA_OK)
        return st;
    if (on_delivery)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, opaque);
    char errstr[512];
    if (!(*out = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        return dfa_fail(err, DFA_ERR_CONFIG, "kafka producer: %s", errstr);
    }
    return DFA_OK;
}
