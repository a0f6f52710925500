#include "dfa_view_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_clock.h"
#include "dfa_keys.h"
#include "dfa_log.h"
#include "dfa_reader.h"

#define MAX_RENDERS 32
#define MAX_UNITS 128
/* consumers' stats are read this often (their lag changes no faster than their stats interval) */
#define CONSUMER_STATS_EVERY_S 5.0

typedef struct {
    char *variant, *text;
    size_t len;
} render;

struct dfa_view_result {
    atomic_int refs;
    json_t *rollup, *offsets;
    char read_at[32], *change_id;
    pthread_mutex_t lock; /* the renders */
    render renders[MAX_RENDERS];
    size_t n_renders;
};

typedef struct entry {
    struct entry *next;
    char key[128], label[64], unit[8];
    dfa_rollup_spec spec;
    dfa_view_result *result; /* NULL until first read */
    char *rollup_text;       /* the rollup as compared: a change of figures is a change of these bytes */
    int watchers;
    int waiters; /* requests making or waiting for its first read (it stays while they do) */
    double used_at;
} entry;

struct dfa_view_cache {
    const dfa_config *cfg;
    const dfa_core *core;
    dfa_metrics *metrics;
    pthread_mutex_t redis_lock; /* the connection, the offsets seen and the freshness */
    dfa_redis *redis;
    char *offsets_id; /* the offsets vector read last */
    json_t *offsets;
    int64_t moved[MAX_UNITS];
    char moved_at[MAX_UNITS][32];
    bool moved_known;
    json_t *consumers;
    double consumers_at;
    pthread_mutex_t lock; /* the entries */
    entry *entries;
    size_t n_entries, max_entries;
    double keep_s, interval_s;
    dfa_view_change_fn on_change;
    void *on_change_ctx;
    pthread_t thread;
    bool started, stopping;
    pthread_cond_t wake;
    dfa_counter *rollups_built, *redis_failures;
};

/* ---- results ---- */

dfa_view_result *dfa_view_result_ref(dfa_view_result *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void dfa_view_result_release(dfa_view_result *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    json_decref(r->rollup);
    json_decref(r->offsets);
    free(r->change_id);
    for (size_t i = 0; i < r->n_renders; i++) {
        free(r->renders[i].variant);
        free(r->renders[i].text);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const json_t *dfa_view_result_rollup(const dfa_view_result *r) { return r->rollup; }
const json_t *dfa_view_result_offsets(const dfa_view_result *r) { return r->offsets; }
const char *dfa_view_result_read_at(const dfa_view_result *r) { return r->read_at; }
const char *dfa_view_result_change_id(const dfa_view_result *r) { return r->change_id; }

const char *dfa_view_result_render(dfa_view_result *r, const char *variant, dfa_view_render_fn make, void *ctx,
                                   size_t *len)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_renders; i++)
        if (strcmp(r->renders[i].variant, variant) == 0) {
            *len = r->renders[i].len;
            const char *t = r->renders[i].text;
            pthread_mutex_unlock(&r->lock);
            return t;
        }
    pthread_mutex_unlock(&r->lock);
    size_t n = 0;
    char *text = make(r, ctx, &n);
    if (!text)
        return NULL;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_renders; i++) /* made meanwhile by another thread: keep one */
        if (strcmp(r->renders[i].variant, variant) == 0) {
            free(text);
            *len = r->renders[i].len;
            text = r->renders[i].text;
            pthread_mutex_unlock(&r->lock);
            return text;
        }
    char *v = strdup(variant);
    if (r->n_renders == MAX_RENDERS || !v) {
        /* too many variants of one result to keep: this one is kept until the result goes, uncounted */
        pthread_mutex_unlock(&r->lock);
        free(v);
        free(text);
        return NULL;
    }
    r->renders[r->n_renders++] = (render){v, text, n};
    pthread_mutex_unlock(&r->lock);
    *len = n;
    return text;
}

/* ---- reading ---- */

static char *offsets_text(const json_t *offsets)
{
    /* "dfa.events:0=12,dfa.events:1=7": sorted, so equal vectors give equal text */
    size_t n = json_object_size(offsets), k = 0, bytes = 1;
    const char **keys = calloc(n + 1, sizeof *keys);
    const char *key;
    json_t *v;
    if (!keys)
        return NULL;
    json_object_foreach((json_t *)offsets, key, v) {
        keys[k++] = key;
        bytes += strlen(key) + 24;
    }
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *x = keys[j];
            keys[j] = keys[j - 1], keys[j - 1] = x;
        }
    char *out = malloc(bytes);
    size_t used = 0;
    for (size_t i = 0; out && i < k; i++)
        used += (size_t)snprintf(out + used, bytes - used, "%s%s=%lld", i ? "," : "", keys[i],
                                 (long long)json_integer_value(json_object_get(offsets, keys[i])));
    if (out && !k)
        out[0] = '\0';
    free(keys);
    return out;
}

static void now_iso(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

/* Reads the offsets (under redis_lock) and notes which provinces moved. */
static dfa_status read_offsets(dfa_view_cache *c, dfa_error *err)
{
    int64_t moved[MAX_UNITS] = {0};
    json_t *offsets = dfa_read_offsets(c->redis, c->core, moved, err);
    if (!offsets)
        return DFA_ERR_IO;
    char *id = offsets_text(offsets);
    if (!id) {
        json_decref(offsets);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    size_t n = dfa_provinces_current_count(dfa_core_provinces(c->core));
    char now[32];
    now_iso(now);
    for (size_t i = 0; i < n && i < MAX_UNITS; i++) {
        if (c->moved_known && moved[i] != c->moved[i])
            snprintf(c->moved_at[i], sizeof c->moved_at[i], "%s", now);
        c->moved[i] = moved[i];
    }
    c->moved_known = true;
    json_decref(c->offsets);
    free(c->offsets_id);
    c->offsets = offsets;
    c->offsets_id = id;
    return DFA_OK;
}

/* Builds e's rollup now (under redis_lock, after read_offsets). The result
 * keeps its previous change id when the figures did not change. */
static dfa_status build(dfa_view_cache *c, entry *e, dfa_view_result **out, bool *changed, char **text, dfa_error *err)
{
    json_t *doc = NULL;
    dfa_status st = dfa_rollup_build(c->redis, c->core, &e->spec, &doc, err);
    if (st != DFA_OK)
        return st;
    dfa_counter_add(c->rollups_built, 1);
    *text = dfa_rollup_json(doc);
    dfa_view_result *r = calloc(1, sizeof *r);
    if (!*text || !r) {
        free(*text);
        free(r);
        json_decref(doc);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&c->lock);
    *changed = !e->rollup_text || strcmp(e->rollup_text, *text) != 0;
    const char *prev_id = e->result ? e->result->change_id : NULL;
    pthread_mutex_unlock(&c->lock);
    atomic_init(&r->refs, 1);
    pthread_mutex_init(&r->lock, NULL);
    r->rollup = doc;
    r->offsets = json_deep_copy(c->offsets);
    r->change_id = strdup(*changed || !prev_id ? c->offsets_id : prev_id);
    now_iso(r->read_at);
    *out = r;
    return DFA_OK;
}

/* Puts a new result in e (the cache's reference), releasing the old. */
static void install(dfa_view_cache *c, entry *e, dfa_view_result *r, char *text)
{
    pthread_mutex_lock(&c->lock);
    dfa_view_result *old = e->result;
    e->result = r;
    free(e->rollup_text);
    e->rollup_text = text;
    pthread_mutex_unlock(&c->lock);
    dfa_view_result_release(old);
}

/* ---- entries ---- */

void dfa_view_cache_key(const dfa_rollup_spec *spec, char *out, size_t cap)
{
    snprintf(out, cap, "%s@%04d-%02d-%02d%s%s%s", spec->label, spec->as_of.year, spec->as_of.month, spec->as_of.day,
             spec->historic ? "/historic" : "", spec->unit_id ? "/unit=" : "", spec->unit_id ? spec->unit_id : "");
}

static entry *find(dfa_view_cache *c, const char *key)
{
    for (entry *e = c->entries; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void free_entry(entry *e)
{
    dfa_view_result_release(e->result);
    free(e->rollup_text);
    free(e);
}

/* Under c->lock: drops the entries nobody watches nor asked for in keep_s (all
 * such when force, to make room). */
static void evict(dfa_view_cache *c, bool force)
{
    double now = dfa_clock_seconds();
    for (entry **p = &c->entries; *p;) {
        entry *e = *p;
        if (e->watchers == 0 && e->result && (force || now - e->used_at > c->keep_s)) {
            *p = e->next;
            c->n_entries--;
            free_entry(e);
        } else {
            p = &e->next;
        }
    }
}

/* Under redis_lock: an entry whose first read failed goes, unless someone else waits on it. */
static void forget_unread(dfa_view_cache *c, entry *e, bool watched)
{
    pthread_mutex_lock(&c->lock);
    if (watched)
        e->watchers--;
    if (!e->result && e->watchers == 0 && e->waiters == 0)
        for (entry **p = &c->entries; *p; p = &(*p)->next)
            if (*p == e) {
                *p = e->next;
                c->n_entries--;
                free_entry(e);
                break;
            }
    pthread_mutex_unlock(&c->lock);
}

dfa_status dfa_view_cache_get(dfa_view_cache *c, const dfa_rollup_spec *spec, bool watch, dfa_view_result **out,
                              dfa_error *err)
{
    char key[128];
    dfa_view_cache_key(spec, key, sizeof key);
    pthread_mutex_lock(&c->lock);
    entry *e = find(c, key);
    if (!e && c->n_entries >= c->max_entries) {
        /* entries are freed under both locks, so that the refresher may hold one without c->lock */
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_lock(&c->redis_lock);
        pthread_mutex_lock(&c->lock);
        evict(c, true);
        pthread_mutex_unlock(&c->redis_lock);
        e = find(c, key);
    }
    if (!e) {
        if (c->n_entries >= c->max_entries || !(e = calloc(1, sizeof *e))) {
            pthread_mutex_unlock(&c->lock);
            return dfa_fail(err, DFA_ERR_LIMIT, "%zu periods are being followed already (view.cache_periods); retry later",
                            c->max_entries);
        }
        snprintf(e->key, sizeof e->key, "%s", key);
        snprintf(e->label, sizeof e->label, "%s", spec->label);
        e->spec = *spec;
        e->spec.label = e->label;
        if (spec->unit_id) {
            snprintf(e->unit, sizeof e->unit, "%s", spec->unit_id);
            e->spec.unit_id = e->unit;
        }
        e->next = c->entries;
        c->entries = e;
        c->n_entries++;
    }
    e->used_at = dfa_clock_seconds();
    if (watch)
        e->watchers++;
    dfa_view_result *r = e->result ? dfa_view_result_ref(e->result) : NULL;
    if (!r)
        e->waiters++;
    pthread_mutex_unlock(&c->lock);
    if (r) {
        *out = r;
        return DFA_OK;
    }
    /* the first read of this entry: made here, once (whoever comes next finds it) */
    pthread_mutex_lock(&c->redis_lock);
    pthread_mutex_lock(&c->lock);
    e->waiters--;
    r = e->result ? dfa_view_result_ref(e->result) : NULL;
    pthread_mutex_unlock(&c->lock);
    dfa_status st = DFA_OK;
    if (!r) {
        bool changed;
        char *text = NULL;
        st = c->offsets_id ? DFA_OK : read_offsets(c, err);
        if (st == DFA_OK && (st = build(c, e, &r, &changed, &text, err)) == DFA_OK) {
            install(c, e, dfa_view_result_ref(r), text);
        } else {
            dfa_counter_add(c->redis_failures, 1);
            forget_unread(c, e, watch);
            watch = false;
        }
    }
    pthread_mutex_unlock(&c->redis_lock);
    if (st != DFA_OK) {
        if (watch)
            dfa_view_cache_unwatch(c, key);
        return st;
    }
    *out = r;
    return DFA_OK;
}

void dfa_view_cache_unwatch(dfa_view_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    entry *e = find(c, key);
    if (e && e->watchers > 0)
        e->watchers--;
    pthread_mutex_unlock(&c->lock);
}

/* ---- the refresher ---- */

typedef struct {
    json_t *list;
    dfa_redis *redis;
} consumer_walk;

static dfa_status one_consumer(void *ctx, const char *key, dfa_error *err)
{
    consumer_walk *w = ctx;
    const char *get[] = {"HMGET", key, "client", "stats", "updated"};
    redisReply *v = NULL;
    dfa_status st = dfa_redis_call(w->redis, get, 5, &v, err);
    if (st == DFA_OK && v->type == REDIS_REPLY_ARRAY && v->elements == 3 && v->element[0]->type == REDIS_REPLY_STRING &&
        v->element[1]->type == REDIS_REPLY_STRING) {
        json_t *lag = json_object();
        long long total = 0;
        const char *l = strstr(v->element[1]->str, " lag=");
        for (const char *p = l ? l + 5 : ""; *p && *p != ' ';) {
            int part = 0;
            long long n = 0;
            int used = 0;
            if (sscanf(p, "%d:%lld%n", &part, &n, &used) != 2)
                break;
            char name[16];
            snprintf(name, sizeof name, "%d", part);
            json_object_set_new(lag, name, json_integer(n));
            total += n;
            p += used;
            if (*p == ',')
                p++;
        }
        long long updated = v->element[2]->type == REDIS_REPLY_STRING ? strtoll(v->element[2]->str, NULL, 10) : 0;
        json_array_append_new(w->list, json_pack("{s:s,s:I,s:o,s:I}", "client", v->element[0]->str, "updated",
                                                 (json_int_t)updated, "lag", lag, "lag_total", (json_int_t)total));
    }
    freeReplyObject(v);
    return st;
}

static void read_consumers(dfa_view_cache *c)
{
    consumer_walk w = {json_array(), c->redis};
    dfa_error err = {0};
    if (dfa_redis_scan(c->redis, DFA_KEY_CONSUMER_PREFIX "*", one_consumer, &w, &err) != DFA_OK) {
        json_decref(w.list);
        return;
    }
    json_decref(c->consumers);
    c->consumers = w.list;
    c->consumers_at = dfa_clock_seconds();
}

typedef struct {
    char key[128];
    dfa_view_result *result;
} change;

/* One interval: the offsets; when they moved, every entry in use again. */
static void refresh(dfa_view_cache *c)
{
    dfa_error err = {0};
    pthread_mutex_lock(&c->redis_lock);
    char *before = c->offsets_id ? strdup(c->offsets_id) : NULL;
    if (read_offsets(c, &err) != DFA_OK) {
        pthread_mutex_unlock(&c->redis_lock);
        free(before);
        dfa_counter_add(c->redis_failures, 1);
        dfa_log(DFA_LOG_WARN, "redis_unavailable", "error=\"%s\"", err.msg);
        return;
    }
    if (dfa_clock_seconds() - c->consumers_at >= CONSUMER_STATS_EVERY_S)
        read_consumers(c);
    bool moved = !before || strcmp(before, c->offsets_id) != 0;
    free(before);
    change *changes = NULL;
    size_t n_changes = 0;
    pthread_mutex_lock(&c->lock);
    evict(c, false);
    size_t n = c->n_entries;
    entry **todo = calloc(n + 1, sizeof *todo);
    size_t k = 0;
    for (entry *e = c->entries; todo && e && moved; e = e->next)
        if (e->result)
            todo[k++] = e; /* entries are freed only here, on this thread, or under both locks */
    pthread_mutex_unlock(&c->lock);
    changes = calloc(k + 1, sizeof *changes);
    for (size_t i = 0; changes && i < k; i++) {
        dfa_view_result *r = NULL;
        bool changed = false;
        char *text = NULL;
        if (build(c, todo[i], &r, &changed, &text, &err) != DFA_OK) {
            dfa_counter_add(c->redis_failures, 1);
            dfa_log(DFA_LOG_WARN, "refresh_failed", "period=%s error=\"%s\"", todo[i]->label, err.msg);
            continue;
        }
        install(c, todo[i], dfa_view_result_ref(r), text);
        if (changed) {
            snprintf(changes[n_changes].key, sizeof changes[n_changes].key, "%s", todo[i]->key);
            changes[n_changes++].result = r;
        } else {
            dfa_view_result_release(r);
        }
    }
    pthread_mutex_unlock(&c->redis_lock);
    free(todo);
    for (size_t i = 0; i < n_changes; i++) {
        if (c->on_change)
            c->on_change(c->on_change_ctx, changes[i].key, changes[i].result);
        dfa_view_result_release(changes[i].result);
    }
    free(changes);
}

static void *refresh_loop(void *arg)
{
    dfa_view_cache *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        long ns = wake.tv_nsec + (long)(c->interval_s * 1e9);
        wake.tv_sec += ns / 1000000000L;
        wake.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&c->wake, &c->lock, &wake);
        if (c->stopping)
            break;
        pthread_mutex_unlock(&c->lock);
        refresh(c);
        if (c->on_change)
            c->on_change(c->on_change_ctx, NULL, NULL);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

dfa_status dfa_view_cache_new(const dfa_config *cfg, const dfa_core *core, dfa_redis *redis, dfa_metrics *metrics,
                              dfa_view_cache **out, dfa_error *err)
{
    dfa_view_cache *c = calloc(1, sizeof *c);
    if (!c)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    c->cfg = cfg;
    c->core = core;
    c->redis = redis;
    c->metrics = metrics;
    c->max_entries = (size_t)dfa_config_int(cfg, "view.cache_periods");
    c->keep_s = (double)dfa_config_int(cfg, "view.keep_s");
    c->interval_s = (double)dfa_config_int(cfg, "view.interval_ms") / 1000.0;
    c->consumers = json_array();
    c->consumers_at = -1e9;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->redis_lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->rollups_built = dfa_metrics_counter(metrics, "dfa_view_rollups_built_total",
                                           "Rollups read from Redis (once per interval and period in use, when the offsets moved)", "");
    c->redis_failures = dfa_metrics_counter(metrics, "dfa_view_redis_failures_total", "Reads from Redis that failed", "");
    *out = c;
    return DFA_OK;
}

void dfa_view_cache_on_change(dfa_view_cache *c, dfa_view_change_fn fn, void *ctx)
{
    c->on_change = fn;
    c->on_change_ctx = ctx;
}

dfa_status dfa_view_cache_start(dfa_view_cache *c, dfa_error *err)
{
    if (pthread_create(&c->thread, NULL, refresh_loop, c) != 0)
        return dfa_fail(err, DFA_ERR_NOMEM, "cannot start the refresher thread");
    c->started = true;
    return DFA_OK;
}

void dfa_view_cache_free(dfa_view_cache *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->lock);
        c->stopping = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    while (c->entries) {
        entry *e = c->entries;
        c->entries = e->next;
        free_entry(e);
    }
    json_decref(c->offsets);
    json_decref(c->consumers);
    free(c->offsets_id);
    dfa_redis_free(c->redis);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->redis_lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

json_t *dfa_view_cache_freshness(dfa_view_cache *c)
{
    const dfa_provinces *ps = dfa_core_provinces(c->core);
    json_t *provinces = json_object();
    pthread_mutex_lock(&c->redis_lock);
    for (size_t i = 0; i < dfa_provinces_current_count(ps) && i < MAX_UNITS; i++)
        json_object_set_new(provinces, dfa_provinces_current(ps, i)->code,
                            c->moved_at[i][0] ? json_string(c->moved_at[i]) : json_null());
    json_t *consumers = json_deep_copy(c->consumers);
    pthread_mutex_unlock(&c->redis_lock);
    long long lag = 0;
    size_t i;
    json_t *x;
    json_array_foreach(consumers, i, x) lag += json_integer_value(json_object_get(x, "lag_total"));
    return json_pack("{s:o,s:o,s:I}", "last_applied_at", provinces, "consumers", consumers, "lag_total", (json_int_t)lag);
}

uint64_t dfa_view_cache_round_trips(dfa_view_cache *c)
{
    pthread_mutex_lock(&c->redis_lock);
    uint64_t n = dfa_redis_round_trips(c->redis);
    pthread_mutex_unlock(&c->redis_lock);
    return n;
}
