/* dfa-broker: an embedded Kafka-protocol cluster (librdkafka's mock cluster)
 * for the demo and the tests. Creates the pipeline's topics, prints the
 * bootstrap address, and serves until SIGTERM or SIGINT. Clients reach it
 * over TCP like any Kafka, so nothing else knows it is not one. */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfa_config.h"
#include "dfa_log.h"

extern char **environ;

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

static int write_address(const char *path, const char *bootstrap)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", bootstrap) < 0 || fclose(f) != 0)
        return -1;
    return rename(tmp, path); /* readers never see a half-written file */
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"address-file", required_argument, 0, 'a'},
                                         {"config", required_argument, 0, 'c'}, {"set", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *address_file = NULL, *config_file = NULL;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t n_sets = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': address_file = optarg; break;
        case 'c': config_file = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'h':
            printf("usage: dfa-broker [--address-file FILE] [--config FILE] [--set key=value]...\n"
                   "  broker.count brokers (3), topics topic.events, topic.deadletter and topic.rollups\n"
                   "  with topic.partitions partitions (6); prints the bootstrap address on stdout\n");
            free(sets);
            return 0;
        default: free(sets); return 2;
        }
    }
    dfa_error err = {0};
    dfa_config *cfg = NULL;
    if (dfa_config_load(config_file, environ, sets, n_sets, &cfg, &err) != DFA_OK) {
        fprintf(stderr, "dfa-broker: %s\n", err.msg);
        free(sets);
        return 2;
    }
    dfa_log_init("dfa-broker", dfa_config_str(cfg, "log.level"));
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_mock_cluster_new(rk, (int)dfa_config_int(cfg, "broker.count")) : NULL;
    if (!mc) {
        fprintf(stderr, "dfa-broker: cannot start the mock cluster: %s\n", rk ? "mock cluster failed" : errstr);
        return 2;
    }
    int partitions = (int)dfa_config_int(cfg, "topic.partitions");
    int replication = (int)dfa_config_int(cfg, "broker.count");
    const char *topics[] = {dfa_config_str(cfg, "topic.events"), dfa_config_str(cfg, "topic.deadletter"),
                            dfa_config_str(cfg, "topic.rollups")};
    for (int i = 0; i < 3; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], partitions, replication);
        if (e) {
            fprintf(stderr, "dfa-broker: topic %s: %s\n", topics[i], rd_kafka_err2str(e));
            return 2;
        }
    }
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    if (address_file && write_address(address_file, bootstrap) != 0) {
        fprintf(stderr, "dfa-broker: %s: cannot write\n", address_file);
        return 2;
    }
    printf("%s\n", bootstrap);
    fflush(stdout);
    dfa_log(DFA_LOG_INFO, "broker_ready", "bootstrap=%s brokers=%d partitions=%d topics=%s,%s,%s", bootstrap,
            replication, partitions, topics[0], topics[1], topics[2]);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop)
        pause();
    dfa_log(DFA_LOG_INFO, "broker_stopping", "bootstrap=%s", bootstrap);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    dfa_config_free(cfg);
    free(sets);
    return 0;
}
