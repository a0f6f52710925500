/* dfa_config: one configuration mechanism for every program.
 *
 * Layers, each overriding the one before: built-in defaults, the config file
 * (config/dfa.conf, or --config FILE, or $DFA_CONFIG), the environment
 * (DFA_REDIS_PORT=6380 sets redis.port; DFA_KAFKA_SASL_MECHANISM sets
 * kafka.sasl.mechanism), then flags (--set key=value). Every value is checked
 * by dfa_config_set, the one place that validates; an unknown key is an error.
 * Keys under kafka.* are not interpreted: they pass straight to librdkafka. */
#ifndef DFA_CONFIG_H
#define DFA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_error.h"

typedef struct dfa_config dfa_config;

/* A config holding the defaults; NULL on allocation failure. */
dfa_config *dfa_config_new(void);
void dfa_config_free(dfa_config *cfg);

/* Sets one key; origin ("config/dfa.conf:12", "env DFA_REDIS_PORT", "--set")
 * is named in any error, with the key. The config copies key and value. */
dfa_status dfa_config_set(dfa_config *cfg, const char *key, const char *value, const char *origin,
                          dfa_error *err);

/* Reads "key = value" lines; '#' starts a comment. */
dfa_status dfa_config_load_file(dfa_config *cfg, const char *path, dfa_error *err);

/* Applies DFA_* variables of envp (NULL-terminated, as environ). DFA_CONFIG
 * and DFA_CONFIG_DIR name files, not keys, and are skipped. */
dfa_status dfa_config_load_env(dfa_config *cfg, char *const *envp, dfa_error *err);

/* The usual sequence: defaults, file (file_flag, else $DFA_CONFIG, else
 * <config dir>/dfa.conf when present), environment, then each "key=value" of
 * sets. *out belongs to the caller. */
dfa_status dfa_config_load(const char *file_flag, char *const *envp, const char *const *sets, size_t n_sets,
                           dfa_config **out, dfa_error *err);

/* Typed reads of known keys (the key must exist in the table). */
const char *dfa_config_str(const dfa_config *cfg, const char *key);
int64_t dfa_config_int(const dfa_config *cfg, const char *key);

/* The kafka.* properties, without the "kafka." prefix, in the order set. */
size_t dfa_config_kafka_count(const dfa_config *cfg);
void dfa_config_kafka_at(const dfa_config *cfg, size_t i, const char **name, const char **value);

/* The options every program shares, for its getopt_long table. */
#define DFA_CONFIG_LONG_OPTIONS {"config", required_argument, 0, 'c'}, {"set", required_argument, 0, 's'}
#define DFA_CONFIG_MAX_SETS 64

/* What a command line says about configuration: --config FILE and each
 * --set key=value (strings borrowed from argv). Zero-initialise it. */
typedef struct {
    const char *file;
    const char *sets[DFA_CONFIG_MAX_SETS];
    size_t n_sets;
    bool too_many;
} dfa_config_args;

/* Takes getopt's option `opt` if it is --config ('c') or --set ('s'). */
bool dfa_config_args_take(dfa_config_args *a, int opt, const char *arg);

/* Every program's start: the configuration from its layers and, when core is
 * not NULL, the catalog and provinces it names. On failure prints
 * "program: why" on stderr and returns NULL. The caller frees what it gets. */
struct dfa_core;
dfa_config *dfa_config_startup(const char *program, const dfa_config_args *a, char *const *envp, struct dfa_core **core);

/* The directory holding catalog.json, provinces.csv and dfa.conf by default:
 * $DFA_CONFIG_DIR, else the one chosen at build time. */
const char *dfa_config_default_dir(void);

#endif
