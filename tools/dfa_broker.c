/* dfa-broker: an embedded Kafka-protocol cluster (librdkafka's mock cluster)
 * for the demo and the tests. Creates the pipeline's topics, prints the
 * bootstrap address, and serves until SIGTERM or SIGINT. Clients reach it
 * over TCP like any Kafka, so nothing else knows it is not one. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfa_config.h"
#include "dfa_log.h"
#include "dfa_text.h"

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

/* One control line: "push <api key> <count> <error code>", "down <broker id>",
 * "up <broker id>". Tests use it to inject failures into the live cluster. */
static void control(rd_kafka_mock_cluster_t *mc, char *line)
{
    int a = 0, b = 0, code = 0;
    if (sscanf(line, "push %d %d %d", &a, &b, &code) == 3 && b > 0 && b <= 1000) {
        rd_kafka_resp_err_t errs[1000];
        for (int i = 0; i < b; i++)
            errs[i] = (rd_kafka_resp_err_t)code;
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errs);
        dfa_log(DFA_LOG_INFO, "inject_errors", "api_key=%d count=%d error=%s", a, b, rd_kafka_err2name((rd_kafka_resp_err_t)code));
    } else if (sscanf(line, "down %d", &a) == 1) {
        rd_kafka_mock_broker_set_down(mc, a);
        dfa_log(DFA_LOG_INFO, "broker_down", "broker=%d", a);
    } else if (sscanf(line, "up %d", &a) == 1) {
        rd_kafka_mock_broker_set_up(mc, a);
        dfa_log(DFA_LOG_INFO, "broker_up", "broker=%d", a);
    } else {
        dfa_log(DFA_LOG_WARN, "bad_control", "line=\"%s\"", DFA_TEXT_SHOWN(line, 64));
    }
}

/* Serves control lines from a FIFO until a signal stops it. */
static void serve_control(rd_kafka_mock_cluster_t *mc, const char *path)
{
    int fd = open(path, O_RDWR | O_NONBLOCK); /* RDWR: EOF never comes when writers leave */
    if (fd < 0) {
        dfa_log(DFA_LOG_ERROR, "control_open_failed", "path=%s error=%s", path, strerror(errno));
        return;
    }
    char buf[4096];
    size_t used = 0;
    while (!stop) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
        if (n <= 0)
            continue;
        used += (size_t)n;
        buf[used] = '\0';
        char *start = buf, *nl;
        while ((nl = strchr(start, '\n')) != NULL) {
            *nl = '\0';
            control(mc, start);
            start = nl + 1;
        }
        used = strlen(start);
        memmove(buf, start, used);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"address-file", required_argument, 0, 'a'},
                                         {"control", required_argument, 0, 'C'},
                                         DFA_CONFIG_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *address_file = NULL, *control_path = NULL;
    dfa_config_args args = {0};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': address_file = optarg; break;
        case 'C': control_path = optarg; break;
        case 'h':
            printf("usage: dfa-broker [--address-file FILE] [--control FIFO] [--config FILE] [--set key=value]...\n"
                   "  --control FIFO: lines \"push <api key> <count> <error code>\", \"down <id>\", \"up <id>\"\n"
                   "  broker.count brokers (3), topics topic.events, topic.deadletter and topic.rollups\n"
                   "  with topic.partitions partitions (6); prints the bootstrap address on stdout\n");
            return 0;
        default:
            if (!dfa_config_args_take(&args, c, optarg))
                return 2;
        }
    }
    dfa_config *cfg = dfa_config_startup("dfa-broker", &args, environ, NULL);
    if (!cfg)
        return 2;
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
    /* librdkafka 2.0's mock partitions keep 5 MB or 100,000 message sets and
     * delete the oldest beyond that, like a Kafka topic with that retention */
    dfa_log(DFA_LOG_INFO, "broker_ready",
            "bootstrap=%s brokers=%d partitions=%d topics=%s,%s,%s retention_per_partition=5MB_or_100000_batches",
            bootstrap, replication, partitions, topics[0], topics[1], topics[2]);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (control_path)
        serve_control(mc, control_path);
    while (!stop)
        usleep(200000); /* a plain pause() could miss a signal arriving just before it */
    dfa_log(DFA_LOG_INFO, "broker_stopping", "bootstrap=%s", bootstrap);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    dfa_config_free(cfg);
    return 0;
}
