/* Configuration layers and their errors. */
#include "test_support.h"

#include <unistd.h>

#include "dfa_config.h"

static char conf_path[] = "/tmp/dfa-conf-XXXXXX";

static void write_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_layers(void **state)
{
    (void)state;
    write_conf("# comment\nredis.port = 6390\nconsumer.group=from-file  # trailing comment\nkafka.acks = all\n");
    char *env[] = {"PATH=/bin", "DFA_REDIS_PORT=6391", "DFA_KAFKA_SASL_MECHANISM=PLAIN", NULL};
    const char *sets[] = {"consumer.group=from-flag", "kafka.acks=1"};
    dfa_config *cfg = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_config_load(conf_path, env, sets, 2, &cfg, &err), DFA_OK);
    assert_int_equal(dfa_config_int(cfg, "redis.port"), 6391);              /* env over file */
    assert_string_equal(dfa_config_str(cfg, "consumer.group"), "from-flag"); /* flag over file */
    assert_string_equal(dfa_config_str(cfg, "redis.host"), "127.0.0.1");     /* default */
    assert_int_equal(dfa_config_int(cfg, "consumer.horizon_years"), 10);
    assert_int_equal(dfa_config_kafka_count(cfg), 2);
    const char *name, *value;
    dfa_config_kafka_at(cfg, 0, &name, &value);
    assert_string_equal(name, "acks");
    assert_string_equal(value, "1");
    dfa_config_kafka_at(cfg, 1, &name, &value);
    assert_string_equal(name, "sasl.mechanism");
    assert_string_equal(value, "PLAIN");
    assert_string_equal(dfa_config_str(cfg, "redis.cluster_seeds"), ""); /* one Redis by default */
    dfa_config_free(cfg);
    const char *seeds[] = {"redis.cluster_seeds=10.0.0.1:7000, node-2.example:7001,::1:7002"};
    assert_int_equal(dfa_config_load(conf_path, NULL, seeds, 1, &cfg, &err), DFA_OK);
    assert_string_equal(dfa_config_str(cfg, "redis.cluster_seeds"), "10.0.0.1:7000, node-2.example:7001,::1:7002");
    dfa_config_free(cfg);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *file, *env, *set, *msg; /* msg after the path, for file errors */
    } cases[] = {
        {"redis.prot = 1\n", NULL, NULL, ":1: unknown key \"redis.prot\""},
        {"\n\nredis.port = 70000\n", NULL, NULL, ":3: redis.port: expected an integer 1..65535, got \"70000\""},
        {"redis.port\n", NULL, NULL, ":1: expected key = value"},
        {"log.level = loud\n", NULL, NULL, ":1: log.level: expected debug|info|warn|error, got \"loud\""},
        {"topic.events = a b\n", NULL, NULL, ":1: topic.events: expected [A-Za-z0-9._-], got \"a b\""},
        {"kafka. = x\n", NULL, NULL, ":1: kafka.: a librdkafka property name must follow"},
        {"redis.cluster_seeds = 10.0.0.1\n", NULL, NULL,
         ":1: redis.cluster_seeds: expected host:port[,host:port...], got \"10.0.0.1\""},
        {"", NULL, "redis.cluster_seeds=a:1,b:65536", "--set: redis.cluster_seeds: expected host:port[,host:port...], got \"a:1,b:65536\""},
        {"", NULL, "redis.cluster_seeds=a:1,,b:2", "--set: redis.cluster_seeds: expected host:port[,host:port...], got \"a:1,,b:2\""},
        {"", NULL, "redis.cluster_seeds=a:1,", "--set: redis.cluster_seeds: expected host:port[,host:port...], got \"a:1,\""},
        {"", "DFA_REDIS_PROT=1", NULL, "environment DFA_REDIS_PROT: no config key has this name"},
        {"", "DFA_CONSUMER_BATCH_EVENTS=0", NULL, "environment DFA_CONSUMER_BATCH_EVENTS: consumer.batch_events: expected an integer 1..1000000, got \"0\""},
        {"", NULL, "redis.port", "--set: expected key=value, got \"redis.port\""},
        {"", NULL, "nothing=1", "--set: unknown key \"nothing\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_conf(cases[i].file);
        char *env[] = {(char *)cases[i].env, NULL};
        const char *sets[] = {cases[i].set};
        dfa_config *cfg = NULL;
        dfa_error err = {0};
        char want[512];
        if (cases[i].msg[0] == ':')
            snprintf(want, sizeof want, "%s%s", conf_path, cases[i].msg);
        else
            snprintf(want, sizeof want, "%s", cases[i].msg);
        assert_int_equal(dfa_config_load(conf_path, env, sets, cases[i].set ? 1 : 0, &cfg, &err), DFA_ERR_CONFIG);
        assert_string_equal(err.msg, want);
        assert_null(cfg);
    }
    dfa_config *cfg = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_config_load("/nonexistent.conf", NULL, NULL, 0, &cfg, &err), DFA_ERR_CONFIG);
    assert_string_equal(err.msg, "/nonexistent.conf: cannot open: No such file or directory");
}

int main(void)
{
    int fd = mkstemp(conf_path);
    if (fd < 0)
        return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(conf_path);
    return rc;
}
