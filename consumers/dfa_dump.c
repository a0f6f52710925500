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
#include "dfa_redis.h"

extern char **environ;

typedef struct {
    char *text;
} line;

static int by_text(const void *a, const void *b) { return strcmp(((const line *)a)->text, ((const line *)b)->text); }

static bool is_counter_key(const char *key)
{
    const char *close = strstr(key, "}:");
    return close && (close[2] == 'c' || close[2] == 'd' || close[2] == 'g' || close[2] == 't') && close[3] == ':';
}

static redisReply *run(dfa_redis *r, int argc, const char **argv, dfa_error *err)
{
    size_t len[8];
    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    dfa_redis_cmd cmd = {argc, argv, len};
    redisReply *rep = NULL;
    if (dfa_redis_pipeline(r, &cmd, 1, &rep, err) != DFA_OK)
        return NULL;
    return rep;
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
    line *lines = NULL;
    size_t n = 0, cap = 0;
    char cursor[32] = "0";
    int rc = 0;
    do {
        const char *scan[] = {"SCAN", cursor, "MATCH", "dfa:{p:*", "COUNT", "1000"};
        redisReply *page = run(r, 6, scan, &err);
        if (!page || page->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "dfa-dump: SCAN: %s\n", page ? "unexpected reply" : err.msg);
            freeReplyObject(page);
            rc = 2;
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", page->element[0]->str);
        redisReply *keys = page->element[1];
        for (size_t k = 0; k < keys->elements; k++) {
            const char *key = keys->element[k]->str;
            if (!is_counter_key(key))
                continue;
            const char *get[] = {"HGETALL", key};
            redisReply *h = run(r, 2, get, &err);
            for (size_t f = 0; h && h->type == REDIS_REPLY_ARRAY && f + 1 < h->elements; f += 2) {
                if (strcmp(h->element[f + 1]->str, "0") == 0)
                    continue; /* a counter back at 0 is the same as none */
                if (n == cap) {
                    cap = cap ? cap * 2 : 4096;
                    lines = realloc(lines, cap * sizeof *lines);
                }
                size_t len = strlen(key) + h->element[f]->len + h->element[f + 1]->len + 3;
                lines[n].text = malloc(len);
                snprintf(lines[n++].text, len, "%s\t%s\t%s", key, h->element[f]->str, h->element[f + 1]->str);
            }
            freeReplyObject(h);
        }
        freeReplyObject(page);
    } while (strcmp(cursor, "0") != 0);
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
