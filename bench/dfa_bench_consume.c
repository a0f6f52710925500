/* dfa-bench-consume: the raw consume rate: a librdkafka consumer that reads
 * topic.events from the beginning and discards, until it has read N messages. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dfa_clock.h"
#include "dfa_config.h"
#include "dfa_kafka.h"

extern char **environ;

int main(int argc, char **argv)
{
    long long want = argc > 1 ? atoll(argv[1]) : 1000000;
    dfa_config *cfg = NULL;
    dfa_error err = {0};
    char group[64];
    snprintf(group, sizeof group, "bench-raw-%ld", (long)time(NULL));
    const char *const defaults[][2] = {{"group.id", group}, {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"}};
    rd_kafka_conf_t *conf;
    dfa_config_args args = {0};
    if (!(cfg = dfa_config_startup(argv[0], &args, environ, NULL)))
        return 2;
    if (dfa_kafka_conf(cfg, defaults, 3, &conf, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    char errstr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, dfa_config_str(cfg, "topic.events"), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    long long got = 0;
    size_t bytes = 0;
    double start = 0;
    int idle = 0;
    while (got < want && idle < 10) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) {
            idle += got > 0; /* after the first message, 10 s of silence ends the run */
            continue;
        }
        idle = 0;
        if (!m->err) {
            if (got++ == 0)
                start = dfa_clock_seconds();
            bytes += m->len;
        }
        rd_kafka_message_destroy(m);
    }
    double secs = dfa_clock_seconds() - start;
    printf("messages=%lld seconds=%.2f raw_consume_per_s=%.0f mb_per_s=%.1f\n", got, secs, (double)got / secs,
           (double)bytes / secs / 1e6);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    dfa_config_free(cfg);
    return 0;
}
