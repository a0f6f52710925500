#include "dfa_config.h"

#include "dfa_core.h"
#include "dfa_text.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DFA_DEFAULT_CONFIG_DIR
#define DFA_DEFAULT_CONFIG_DIR "config"
#endif

typedef enum { T_STRING, T_INT, T_PATH } key_type;

typedef struct {
    const char *key;
    key_type type;
    const char *dflt; /* a path default is relative to the config dir */
    int64_t min, max;
} key_spec;

/* Every key a program may be given, with its default and bounds. */
static const key_spec keys[] = {
    {"catalog", T_PATH, "catalog.json", 0, 0},
    {"provinces", T_PATH, "provinces.csv", 0, 0},
    {"log.level", T_STRING, "info", 0, 0},
    {"topic.events", T_STRING, "dfa.events", 0, 0},
    {"topic.deadletter", T_STRING, "dfa.events.dlq", 0, 0},
    {"topic.rollups", T_STRING, "dfa.rollups", 0, 0},
    {"topic.partitions", T_INT, "6", 1, 1024},
    {"broker.count", T_INT, "3", 1, 9},
    {"redis.host", T_STRING, "127.0.0.1", 0, 0},
    {"redis.port", T_INT, "6379", 1, 65535},
    {"redis.user", T_STRING, "", 0, 0},
    {"redis.password", T_STRING, "", 0, 0}, /* a secret: file or environment only */
    {"redis.cluster_seeds", T_STRING, "", 0, 0}, /* host:port,...: a Redis Cluster instead of redis.host */
    {"redis.timeout_ms", T_INT, "5000", 10, 600000},
    {"redis.wait_replicas", T_INT, "0", 0, 16},
    {"redis.wait_timeout_ms", T_INT, "2000", 1, 600000},
    {"consumer.group", T_STRING, "dfa-consumers", 0, 0},
    {"consumer.batch_events", T_INT, "5000", 1, 1000000},
    {"consumer.batch_ms", T_INT, "200", 1, 60000},
    {"consumer.max_keys", T_INT, "200000", 100, 10000000},
    {"consumer.horizon_years", T_INT, "10", 1, 100},
    {"consumer.stats_interval_s", T_INT, "10", 0, 86400},
    {"consumer.deadletter_cut_bytes", T_INT, "4096", 0, 1048576},
    {"producer.progress", T_INT, "1", 0, 1},
    {"snapshot.dir", T_STRING, "snapshots", 0, 0},
    {"gateway.listen", T_STRING, "127.0.0.1:8080", 0, 0},
    {"gateway.tokens", T_STRING, "", 0, 0},
    {"gateway.tls_cert", T_STRING, "", 0, 0},
    {"gateway.tls_key", T_STRING, "", 0, 0},
    {"gateway.threads", T_INT, "2", 1, 64},
    {"gateway.max_connections", T_INT, "1000", 1, 100000},
    {"gateway.max_per_ip", T_INT, "64", 0, 100000},
    {"gateway.idle_timeout_s", T_INT, "15", 1, 3600},
    {"gateway.request_timeout_s", T_INT, "30", 1, 3600},
    {"gateway.max_body_bytes", T_INT, "8388608", 1024, 1073741824},
    {"gateway.max_body_memory", T_INT, "268435456", 1048576, 68719476736},
    {"gateway.max_events", T_INT, "10000", 1, 1000000},
    {"gateway.rate_per_s", T_INT, "50", 1, 1000000},
    {"gateway.rate_burst", T_INT, "100", 1, 1000000},
    {"gateway.delivery_timeout_ms", T_INT, "10000", 100, 600000},
    {"view.listen", T_STRING, "127.0.0.1:8090", 0, 0},
    {"view.tokens", T_STRING, "", 0, 0},
    {"view.tls_cert", T_STRING, "", 0, 0},
    {"view.tls_key", T_STRING, "", 0, 0},
    {"view.threads", T_INT, "2", 1, 64},
    {"view.max_connections", T_INT, "4096", 1, 100000},
    {"view.max_per_ip", T_INT, "64", 0, 100000},
    {"view.idle_timeout_s", T_INT, "30", 1, 3600},
    {"view.request_timeout_s", T_INT, "10", 1, 3600},
    {"view.interval_ms", T_INT, "500", 50, 60000},
    {"view.cache_periods", T_INT, "64", 1, 10000},
    {"view.keep_s", T_INT, "120", 1, 86400},
    {"view.max_streams", T_INT, "2000", 0, 100000},
    {"view.stream_buffer_bytes", T_INT, "262144", 4096, 67108864},
    {"view.heartbeat_s", T_INT, "10", 1, 3600},
    {"consumer.metrics_listen", T_STRING, "", 0, 0},
};
#define N_KEYS (sizeof keys / sizeof keys[0])
#define KAFKA_PREFIX "kafka."
#define MAX_KAFKA 128

struct dfa_config {
    char *values[N_KEYS];
    char *kafka_names[MAX_KAFKA], *kafka_values[MAX_KAFKA];
    size_t n_kafka;
};

const char *dfa_config_default_dir(void)
{
    const char *env = getenv("DFA_CONFIG_DIR");
    return env && *env ? env : DFA_DEFAULT_CONFIG_DIR;
}

static int key_index(const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

static char *default_value(const key_spec *k)
{
    if (k->type != T_PATH) {
        return strdup(k->dflt);
    }
    size_t n = strlen(dfa_config_default_dir()) + strlen(k->dflt) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dfa_config_default_dir(), k->dflt);
    return s;
}

dfa_config *dfa_config_new(void)
{
    dfa_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!(cfg->values[i] = default_value(&keys[i]))) {
            dfa_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

void dfa_config_free(dfa_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < N_KEYS; i++)
        free(cfg->values[i]);
    for (size_t i = 0; i < cfg->n_kafka; i++) {
        free(cfg->kafka_names[i]);
        free(cfg->kafka_values[i]);
    }
    free(cfg);
}

/* "" or host:port[,host:port...] (spaces allowed after a comma): a host of
 * letters, digits, '.', '-', ':' (IPv6) or '_', and a port 1..65535 after
 * its last ':'. */
static bool host_ports(const char *value)
{
    for (const char *p = value; *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, ","), host = 0;
        for (size_t i = 0; i < len; i++)
            if (p[i] == ':')
                host = i;
        if (host == 0 || host + 1 == len || len - host > 6)
            return false;
        for (size_t i = 0; i < host; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr(".-:_", p[i]))
                return false;
        long port = 0;
        for (size_t i = host + 1; i < len; i++) {
            if (!isdigit((unsigned char)p[i]))
                return false;
            port = port * 10 + (p[i] - '0');
        }
        if (port < 1 || port > 65535)
            return false;
        p += len;
        if (*p == ',' && !*++p)
            return false; /* a trailing comma */
    }
    return true;
}

static dfa_status check_value(const key_spec *k, const char *value, const char *origin, dfa_error *err)
{
    if (k->type == T_INT) {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max)
            return dfa_fail(err, DFA_ERR_CONFIG, "%s: %s: expected an integer %lld..%lld, got \"%s\"", origin,
                            k->key, (long long)k->min, (long long)k->max, DFA_TEXT_SHOWN(value, 44));
    } else if (strcmp(k->key, "log.level") == 0) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") && strcmp(value, "error"))
            return dfa_fail(err, DFA_ERR_CONFIG, "%s: log.level: expected debug|info|warn|error, got \"%s\"",
                            origin, DFA_TEXT_SHOWN(value, 44));
    } else if (strcmp(k->key, "redis.cluster_seeds") == 0) {
        if (!host_ports(value))
            return dfa_fail(err, DFA_ERR_CONFIG, "%s: redis.cluster_seeds: expected host:port[,host:port...], got \"%s\"",
                            origin, DFA_TEXT_SHOWN(value, 44));
    } else if (strncmp(k->key, "topic.", 6) == 0 || strcmp(k->key, "consumer.group") == 0) {
        for (const char *c = value; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
                return dfa_fail(err, DFA_ERR_CONFIG, "%s: %s: expected [A-Za-z0-9._-], got \"%s\"", origin, k->key,
                                DFA_TEXT_SHOWN(value, 44));
        if (!*value)
            return dfa_fail(err, DFA_ERR_CONFIG, "%s: %s: must not be empty", origin, k->key);
    }
    return DFA_OK;
}

static dfa_status set_kafka(dfa_config *cfg, const char *name, const char *value, const char *origin,
                            dfa_error *err)
{
    if (!*name)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: kafka.: a librdkafka property name must follow", origin);
    for (size_t i = 0; i < cfg->n_kafka; i++) {
        if (strcmp(cfg->kafka_names[i], name) == 0) {
            char *v = strdup(value);
            if (!v)
                return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
            free(cfg->kafka_values[i]);
            cfg->kafka_values[i] = v;
            return DFA_OK;
        }
    }
    if (cfg->n_kafka == MAX_KAFKA)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: more than %d kafka.* properties", origin, MAX_KAFKA);
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    cfg->kafka_names[cfg->n_kafka] = n;
    cfg->kafka_values[cfg->n_kafka++] = v;
    return DFA_OK;
}

dfa_status dfa_config_set(dfa_config *cfg, const char *key, const char *value, const char *origin, dfa_error *err)
{
    if (strncmp(key, KAFKA_PREFIX, strlen(KAFKA_PREFIX)) == 0)
        return set_kafka(cfg, key + strlen(KAFKA_PREFIX), value, origin, err);
    int i = key_index(key);
    if (i < 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: unknown key \"%s\"", origin, DFA_TEXT_SHOWN(key, 64));
    dfa_status st = check_value(&keys[i], value, origin, err);
    if (st)
        return st;
    char *v = strdup(value);
    if (!v)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    free(cfg->values[i]);
    cfg->values[i] = v;
    return DFA_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

dfa_status dfa_config_load_file(dfa_config *cfg, const char *path, dfa_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    char line[4096], origin[512];
    dfa_status st = DFA_OK;
    for (int lineno = 1; st == DFA_OK && fgets(line, sizeof line, f); lineno++) {
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            st = dfa_fail(err, DFA_ERR_CONFIG, "%s: line longer than %zu bytes", origin, sizeof line - 1);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            st = dfa_fail(err, DFA_ERR_CONFIG, "%s: expected key = value", origin);
            break;
        }
        *eq = '\0';
        st = dfa_config_set(cfg, trim(s), trim(eq + 1), origin, err);
    }
    fclose(f);
    return st;
}

/* DFA_REDIS_PORT -> the table key whose env name it is; DFA_KAFKA_X_Y -> kafka.x.y */
static bool env_to_key(const char *name, char *key, size_t cap)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char env[96] = "DFA_";
        size_t n = 4;
        for (const char *c = keys[i].key; *c && n + 1 < sizeof env; c++)
            env[n++] = *c == '.' ? '_' : (char)toupper((unsigned char)*c);
        env[n] = '\0';
        if (strcmp(env, name) == 0) {
            snprintf(key, cap, "%s", keys[i].key);
            return true;
        }
    }
    if (strncmp(name, "DFA_KAFKA_", 10) != 0)
        return false;
    size_t n = (size_t)snprintf(key, cap, KAFKA_PREFIX);
    for (const char *c = name + 10; *c && n + 1 < cap; c++)
        key[n++] = *c == '_' ? '.' : (char)tolower((unsigned char)*c);
    key[n] = '\0';
    return true;
}

dfa_status dfa_config_load_env(dfa_config *cfg, char *const *envp, dfa_error *err)
{
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (strncmp(*envp, "DFA_", 4) != 0 || !eq)
            continue;
        char name[128], key[160], origin[160];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *envp), *envp);
        if (strcmp(name, "DFA_CONFIG") == 0 || strcmp(name, "DFA_CONFIG_DIR") == 0)
            continue;
        snprintf(origin, sizeof origin, "environment %s", name);
        if (!env_to_key(name, key, sizeof key))
            return dfa_fail(err, DFA_ERR_CONFIG, "%s: no config key has this name", origin);
        dfa_status st = dfa_config_set(cfg, key, eq + 1, origin, err);
        if (st)
            return st;
    }
    return DFA_OK;
}

static bool is_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "sasl.oauthbearer.config") ||
           strstr(key, "ssl.key.pem") || strstr(key, "ssl.keystore");
}

dfa_status dfa_config_load(const char *file_flag, char *const *envp, const char *const *sets, size_t n_sets,
                           dfa_config **out, dfa_error *err)
{
    dfa_config *cfg = dfa_config_new();
    if (!cfg)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    char dflt[1024];
    snprintf(dflt, sizeof dflt, "%s/dfa.conf", dfa_config_default_dir());
    const char *file = file_flag ? file_flag : getenv("DFA_CONFIG");
    if (!file && access(dflt, R_OK) == 0)
        file = dflt;
    dfa_status st = file ? dfa_config_load_file(cfg, file, err) : DFA_OK;
    if (st == DFA_OK)
        st = dfa_config_load_env(cfg, envp, err);
    for (size_t i = 0; st == DFA_OK && i < n_sets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
            st = dfa_fail(err, DFA_ERR_CONFIG, "--set: expected key=value, got \"%s\"", DFA_TEXT_SHOWN(sets[i], 64));
            break;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (is_secret(key)) {
            /* a flag shows in ps and shell history: secrets come from the file or the environment */
            st = dfa_fail(err, DFA_ERR_CONFIG, "--set: %s is a secret: give it in the config file or as %s",
                          DFA_TEXT_SHOWN(key, 64),
                          strncmp(key, "kafka.", 6) == 0 ? "DFA_KAFKA_..." : "DFA_REDIS_PASSWORD");
            break;
        }
        st = dfa_config_set(cfg, key, eq + 1, "--set", err);
    }
    if (st != DFA_OK) {
        dfa_config_free(cfg);
        return st;
    }
    *out = cfg;
    return DFA_OK;
}

const char *dfa_config_str(const dfa_config *cfg, const char *key)
{
    int i = key_index(key);
    return i >= 0 ? cfg->values[i] : NULL;
}

int64_t dfa_config_int(const dfa_config *cfg, const char *key)
{
    const char *s = dfa_config_str(cfg, key);
    return s ? strtoll(s, NULL, 10) : 0;
}

size_t dfa_config_kafka_count(const dfa_config *cfg) { return cfg->n_kafka; }

void dfa_config_kafka_at(const dfa_config *cfg, size_t i, const char **name, const char **value)
{
    *name = cfg->kafka_names[i];
    *value = cfg->kafka_values[i];
}

bool dfa_config_args_take(dfa_config_args *a, int opt, const char *arg)
{
    if (opt == 'c') {
        a->file = arg;
        return true;
    }
    if (opt != 's')
        return false;
    if (a->n_sets == DFA_CONFIG_MAX_SETS)
        a->too_many = true;
    else
        a->sets[a->n_sets++] = arg;
    return true;
}

dfa_config *dfa_config_startup(const char *program, const dfa_config_args *a, char *const *envp, struct dfa_core **core)
{
    dfa_error err = {0};
    dfa_config *cfg = NULL;
    if (a->too_many)
        dfa_fail(&err, DFA_ERR_CONFIG, "--set: more than %d", DFA_CONFIG_MAX_SETS);
    else if (dfa_config_load(a->file, envp, a->sets, a->n_sets, &cfg, &err) == DFA_OK &&
             (!core || dfa_core_open(dfa_config_str(cfg, "catalog"), dfa_config_str(cfg, "provinces"), core, &err) == DFA_OK))
        return cfg;
    fprintf(stderr, "%s: %s\n", program, err.msg);
    dfa_config_free(cfg);
    return NULL;
}
