/* dfa-dump: every counter in Redis as sorted "key<TAB>field<TAB>value" lines
 * (flows, distinct ids, gauges, targets; not the consumers' bookkeeping).
 * Two dumps compare with diff: a live Redis against one rebuilt from Kafka,
 * or Redis against dfa-loadgen's ground truth. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_config.h"
#include "dfa_keys.h"
#include "dfa_redis.h"

extern char **environ;

typedef struct {
    char *text;
} line;

static int by_text(const void *a, const void *b) { return strcmp(((const line *)a)->text, ((const line *)b)->text); }

typedef struct {
    dfa_redis *redis;
    line *lines;
    size_t n, cap;
} dump;

static bool add_line(dump *d, const char *key, const char *field, const char *value)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4096;
        line *nl = realloc(d->lines, cap * sizeof *nl);
        if (!nl)
            return false;
        d->lines = nl;
        d->cap = cap;
    }
    size_t len = strlen(key) + strlen(field) + strlen(value) + 3;
    if (!(d->lines[d->n].text = malloc(len)))
        return false;
    snprintf(d->lines[d->n++].text, len, "%s\t%s\t%s", key, field, value);
    return true;
}

/* Every non-zero field of one counter key, as lines. */
static dfa_status dump_key(void *ctx, const char *key, dfa_error *err)
{
    dump *d = ctx;
    const char *get[] = {"HGETALL", key};
    redisReply *h = NULL;
    if (dfa_redis_call(d->redis, get, 2, &h, err) != DFA_OK)
        return DFA_ERR_IO;
    dfa_status st = DFA_OK;
    for (size_t f = 0; st == DFA_OK && h->type == REDIS_REPLY_ARRAY && f + 1 < h->elements; f += 2)
        if (strcmp(h->element[f + 1]->str, "0") != 0 && /* a counter back at 0 is the same as none */
            !add_line(d, key, h->element[f]->str, h->element[f + 1]->str))
            st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    freeReplyObject(h);
    return st;
}

int main(int argc, char **argv)
{
    dfa_config_args args = {0};
    static const struct option opts[] = {DFA_CONFIG_LONG_OPTIONS, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (!dfa_config_args_take(&args, ch, optarg))
            return 2;
    dfa_error err = {0};
    dfa_redis *r = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-dump", &args, environ, NULL);
    if (!cfg)
        return 2;
    if (dfa_redis_new(cfg, &r, &err) != DFA_OK || dfa_redis_connect(r, &err) != DFA_OK) {
        fprintf(stderr, "dfa-dump: %s\n", err.msg);
        dfa_redis_free(r);
        dfa_config_free(cfg);
        return 2;
    }
    dump d = {.redis = r};
    int rc = dfa_redis_scan(r, DFA_KEY_FIGURES_GLOB, dump_key, &d, &err) == DFA_OK ? 0 : 2;
    if (rc)
        fprintf(stderr, "dfa-dump: %s\n", err.msg);
    line *lines = d.lines;
    size_t n = d.n;
    qsort(lines, n, sizeof *lines, by_text);
    for (size_t i = 0; i < n; i++) {
        puts(lines[i].text);
        free(lines[i].text);
    }
    free(lines);
    dfa_redis_free(r);
    dfa_config_free(cfg);
    return rc;
}
