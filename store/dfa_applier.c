#include "dfa_applier.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_accum.h"
#include "dfa_array.h"
#include "dfa_arena.h"
#include "dfa_delta.h"
#include "dfa_keys.h"
#include "dfa_log.h"
#include "dfa_memory.h"

#define MAX_PROVINCES 64
#define MAX_ROUNDS 8
#define MAX_REROUTES 30 /* a batch's redirections and lost connections on a cluster, each ~100 ms apart */
#define POOL_CHUNK (256 * 1024)
#define TRIM_YEARS_PER_BATCH 2 /* bounds one transaction's DEL; the next batches go on */

/* A growable array of command arguments (borrowed strings). */
typedef struct {
    const char **argv;
    size_t *len;
    size_t n, cap;
} arg_list;

typedef struct {
    int32_t partition;
    int64_t expected; /* marker read in phase 1; -1 when none */
    int64_t next;     /* marker this batch sets */
} marker;

/* One (province, day) of the batch: the ids it looks up and the values it
 * writes into that day's memory hash. */
typedef struct {
    int province;
    const char *key;  /* in the batch's pool */
    arg_list reads;   /* HMGET key id ... */
    arg_list writes;  /* field value ..., later pairs win */
    size_t reply;     /* its HMGET's reply */
} day_group;

/* What phase 1 read about one item: the remembered values of its id and, for
 * a retraction, of the id it retracts (NULL when none; in the pool). */
typedef struct {
    const char *id_was, *ref_was;
} lookup;

/* Entries of the accumulator grouped by key: order[first[k] .. first[k+1]).
 * Kept by the applier from batch to batch: a fresh array per round was a
 * large malloc each time, and each made glibc consolidate every small chunk
 * the batch's events had freed (7% of the consumer's time). */
typedef struct {
    size_t *order, *first;
    size_t cap_order, cap_first;
} key_groups;

/* One province's share of the batch. */
typedef struct {
    bool present, pending;
    bool stopped;            /* one of its keys holds the wrong type: nothing of it is written */
    size_t *items;           /* indices into the batch, in order */
    size_t n_items, cap;     /* cap: of items and of markers */
    marker *markers;
    size_t n_markers;
    int horizon;             /* first year whose memory Redis still keeps; 0: none recorded */
    int keep_from;           /* first year to keep after this batch */
    arg_list months, gauges; /* registry members to look up, then those to add */
    size_t off_reply, horizon_reply, months_reply, gauges_reply;
    /* Its own connection, so that its WATCH fences its transaction alone:
     * EXEC drops every WATCH of a connection, so provinces sharing one could
     * not each have a transaction of their own. On a cluster, to the master
     * of its slot ({p:CC}). */
    dfa_redis *conn;
    uint64_t watched_on;     /* connection that sent this round's WATCH */
    bool read;               /* its read step's replies are in, this round */
    dfa_resp *rx, *tx;       /* its read step, its transaction */
    redisReply **replies;    /* the read step's replies, until they are taken in */
    size_t n_replies, cap_replies, n_sent;
} province_work;

struct dfa_applier {
    dfa_redis *redis;
    const dfa_core *core;
    int8_t province_of_code[100]; /* two-digit code -> index of today's unit, -1 if none */
    int horizon_years;
    dfa_accum *acc;        /* the batch's merged deltas */
    bool acc_fresh;        /* acc holds every valid item's deltas (staged), none taken out yet */
    dfa_accum *staged;     /* the next batch's deltas, staged ahead of its begin */
    size_t n_staged;       /* items of the next batch looked at so far */
    bool staged_full;      /* staged could take no more: the next batch ends at n_staged */
    dfa_accum *memory;     /* (day key, id) -> index + 1 into values: what the batch decided so far */
    const char **values;
    size_t n_values, cap_values;
    dfa_accum *day_index;  /* day key -> index + 1 into days */
    day_group *days;
    size_t n_days, cap_days;
    int *item_day;         /* each item's day group, -1 when it has none */
    size_t cap_item_day;
    int64_t *base;         /* per entry of acc: the value Redis holds */
    int64_t *running;      /* per entry of acc, when checking each event: base plus what counted so far */
    size_t *key_reply;     /* per key of acc: its HMGET's reply */
    size_t cap_entries, cap_keys;
    bool check_each;       /* a sum would leave the 64-bit range: decide event by event */
    dfa_arena *pool;       /* strings needed until a round's commands are written */
    char stop_msg[DFA_ERROR_MSG_MAX]; /* why a province was stopped, when one was */
    /* the batch between begin and finish */
    bool in_flight;
    const char *topic;
    int64_t now_ms;
    size_t cut;    /* items[0..cut) are this batch */
    int round;     /* read-decide-write attempts so far */
    int reroutes;  /* redirections and lost connections a cluster made the batch redo */
    uint64_t round_trips; /* read steps and transaction steps: each a round trip, however many connections */
    uint64_t conflicts;   /* province transactions refused by their WATCH fence */
    uint64_t redos;       /* rounds read and decided again after a refusal */
    int wait_replicas, wait_timeout_ms;
    dfa_applier_hook before_send;
    void *before_send_ctx;
    province_work work[MAX_PROVINCES];
    arg_list scratch;  /* the arguments of one command of the read step */
    key_groups groups; /* the batch's entries by key, arrays kept from batch to batch */
    lookup *lookups;
    size_t cap_lookups;
};

/* ---- small helpers ---- */

/* A key of the accumulator notes its province and the registry it belongs
 * to, with the member it adds there. */
enum { REGISTRY_NONE, REGISTRY_MONTHS, REGISTRY_GAUGES };
#define NOTE_TAG(province, registry) ((province) * 4 + (registry))
#define NOTE_PROVINCE(tag) ((tag) / 4)
#define NOTE_REGISTRY(tag) ((tag) % 4)


static char *pool_printf(dfa_applier *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *pool_printf(dfa_applier *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    char *p = dfa_arena_alloc(a->pool, (size_t)n + 1);
    if (p)
        memcpy(p, buf, (size_t)n + 1);
    return p;
}

static void pool_release(dfa_applier *a) { dfa_arena_reset(a->pool); }

static bool args_push_len(arg_list *l, const char *s, size_t len)
{
    if (!s)
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **nv = realloc(l->argv, cap * sizeof *nv);
        if (!nv)
            return false;
        l->argv = nv;
        size_t *nl = realloc(l->len, cap * sizeof *nl);
        if (!nl)
            return false;
        l->len = nl;
        l->cap = cap;
    }
    l->argv[l->n] = s;
    l->len[l->n++] = len;
    return true;
}

static bool args_push(arg_list *l, const char *s) { return s && args_push_len(l, s, strlen(s)); }

static void args_free(arg_list *l)
{
    free(l->argv);
    free(l->len);
    memset(l, 0, sizeof *l);
}

static const char *province_code(const dfa_applier *a, int p)
{
    return dfa_provinces_current(dfa_core_provinces(a->core), (size_t)p)->code;
}

/* "dfa:{p:CC}:<name>" in the pool. */
static char *province_key(dfa_applier *a, int p, const char *name)
{
    char key[DFA_KEY_MAX];
    return dfa_key_province(key, sizeof key, province_code(a, p), name) ? dfa_arena_strdup(a->pool, key) : NULL;
}

static char *marker_field(dfa_applier *a, const char *topic, int32_t partition)
{
    return pool_printf(a, "%s:%" PRId32, topic, partition);
}

/* ---- lifetime ---- */

dfa_status dfa_applier_new(dfa_redis *redis, const dfa_core *core, size_t max_keys, int horizon_years,
                           dfa_applier **out, dfa_error *err)
{
    dfa_applier *a = calloc(1, sizeof *a);
    if (!a)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    a->redis = redis;
    a->core = core;
    a->horizon_years = horizon_years;
    memset(a->province_of_code, -1, sizeof a->province_of_code);
    const dfa_provinces *ps = dfa_core_provinces(core);
    for (size_t i = 0; i < dfa_provinces_current_count(ps) && i < MAX_PROVINCES; i++) {
        const char *code = dfa_provinces_current(ps, i)->code;
        a->province_of_code[(code[0] - '0') * 10 + (code[1] - '0')] = (int8_t)i;
    }
    a->acc = dfa_accum_new(max_keys);
    a->memory = dfa_accum_new(max_keys);
    a->day_index = dfa_accum_new(max_keys);
    a->staged = dfa_accum_new(max_keys);
    a->pool = dfa_arena_new(POOL_CHUNK);
    if (!a->acc || !a->memory || !a->day_index || !a->staged || !a->pool) {
        dfa_applier_free(a);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory for %zu keys", max_keys);
    }
    *out = a;
    return DFA_OK;
}

/* Empties every province's share, keeping its arrays for the next batch
 * (a batch's worth of frees and mallocs cost more than the memory). */
static void reset_work(dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        w->present = w->pending = w->stopped = false;
        w->n_items = w->n_markers = 0;
        w->months.n = w->gauges.n = 0;
    }
    for (size_t d = 0; d < a->n_days; d++)
        a->days[d].reads.n = a->days[d].writes.n = 0;
    a->n_days = 0;
    dfa_accum_clear(a->day_index);
    a->stop_msg[0] = '\0';
}

void dfa_applier_free(dfa_applier *a)
{
    if (!a)
        return;
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        free(w->items);
        free(w->markers);
        args_free(&w->months);
        args_free(&w->gauges);
        dfa_redis_free(w->conn);
        dfa_resp_free(w->rx);
        dfa_resp_free(w->tx);
        free(w->replies);
    }
    for (size_t d = 0; d < a->cap_days; d++) {
        args_free(&a->days[d].reads);
        args_free(&a->days[d].writes);
    }
    args_free(&a->scratch);
    free(a->groups.order);
    free(a->groups.first);
    free(a->days);
    free(a->values);
    free(a->item_day);
    free(a->base);
    free(a->running);
    free(a->key_reply);
    dfa_arena_free(a->pool);
    dfa_accum_free(a->acc);
    dfa_accum_free(a->memory);
    dfa_accum_free(a->day_index);
    dfa_accum_free(a->staged);
    free(a->lookups);
    free(a);
}

/* ---- grouping: provinces, their partitions, their days ---- */

static int index_of_code(const dfa_applier *a, const char *code)
{
    if (code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9')
        return -1;
    return a->province_of_code[(code[0] - '0') * 10 + (code[1] - '0')];
}

static int province_index(const dfa_applier *a, const dfa_event *ev)
{
    return index_of_code(a, dfa_event_current_unit(ev)->code);
}

static marker *marker_for(province_work *w, int32_t partition)
{
    for (size_t i = 0; i < w->n_markers; i++)
        if (w->markers[i].partition == partition)
            return &w->markers[i];
    return NULL;
}

/* The day group of an event: its province's memory hash for the event's
 * local day (a retraction's date is its copy's, so it meets its event). The
 * key is built in the pool, which lives until the batch is settled. */
static int day_group_of(dfa_applier *a, int p, const dfa_event *ev, dfa_error *err)
{
    char day[DFA_PERIOD_ID_MAX], key[DFA_KEY_MAX];
    if (!dfa_period_id(DFA_PERIOD_DAY, dfa_event_time(ev)->local, day) ||
        !dfa_key_memory(key, sizeof key, province_code(a, p), day))
        return dfa_fail(err, DFA_ERR_LIMIT, "event %s: no memory key", dfa_event_id(ev)), -1;
    int64_t known = dfa_accum_get(a->day_index, key, "");
    if (known)
        return (int)known - 1;
    if (!dfa_array_reserve((void **)&a->days, &a->cap_days, a->n_days + 1, sizeof *a->days))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory"), -1;
    day_group *g = &a->days[a->n_days];
    g->province = p;
    g->key = dfa_arena_strdup(a->pool, key);
    g->reads.n = g->writes.n = 0;
    if (!g->key || dfa_accum_add(a->day_index, key, "", (int64_t)a->n_days + 1, err) != DFA_OK)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory"), -1;
    return (int)a->n_days++;
}

/* Groups the items by province, lists each province's partitions, and gives
 * every valid item its day group. */
static dfa_status group_items(dfa_applier *a, dfa_batch_item *items, size_t n, dfa_error *err)
{
    if (!dfa_array_reserve((void **)&a->item_day, &a->cap_item_day, n, sizeof *a->item_day))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        a->item_day[i] = -1;
        if (!items[i].event)
            continue;
        int p = province_index(a, items[i].event);
        if (p < 0)
            return dfa_fail(err, DFA_ERR_PROVINCE, "event %s: no current unit", dfa_event_id(items[i].event));
        province_work *w = &a->work[p];
        if (!w->present) {
            w->present = w->pending = true;
            if (w->cap < n) {
                size_t *ni = realloc(w->items, n * sizeof *ni);
                if (ni)
                    w->items = ni;
                marker *nm = realloc(w->markers, n * sizeof *nm);
                if (nm)
                    w->markers = nm;
                if (!ni || !nm)
                    return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
                w->cap = n;
            }
        }
        w->items[w->n_items++] = i;
        if (!marker_for(w, items[i].partition))
            w->markers[w->n_markers++] = (marker){items[i].partition, -1, -1};
        if ((a->item_day[i] = day_group_of(a, p, items[i].event, err)) < 0)
            return err ? err->code : DFA_ERR_NOMEM;
    }
    return DFA_OK;
}

/* ---- phase 1: read the state ---- */

/* The province of key k of the accumulator (-1 for none). */
static int key_province(const dfa_accum *acc, size_t k)
{
    int tag = dfa_accum_key_note(acc, k)->tag;
    return tag < 0 ? -1 : NOTE_PROVINCE(tag);
}

static bool group_entries(const dfa_accum *acc, key_groups *g)
{
    size_t n = dfa_accum_size(acc), k = dfa_accum_keys(acc);
    if (!dfa_array_reserve((void **)&g->order, &g->cap_order, n + 1, sizeof *g->order) ||
        !dfa_array_reserve((void **)&g->first, &g->cap_first, k + 2, sizeof *g->first))
        return false;
    memset(g->first, 0, (k + 2) * sizeof *g->first);
    for (size_t e = 0; e < n; e++)
        g->first[dfa_accum_entry_at(acc, e)->key_index + 2]++;
    for (size_t i = 2; i < k + 2; i++)
        g->first[i] += g->first[i - 1];
    for (size_t e = 0; e < n; e++)
        g->order[g->first[dfa_accum_entry_at(acc, e)->key_index + 1]++] = e;
    return true;
}

/* Writes NAME key args... as one command of province p's read step: the
 * reply it gets is at *reply among that province's replies. */
static void read_command(dfa_applier *a, int p, const char *name, const char *key, const arg_list *args, size_t *reply)
{
    dfa_resp *rx = a->work[p].rx;
    *reply = dfa_resp_commands(rx);
    dfa_resp_command(rx, 2 + args->n);
    dfa_resp_str(rx, name);
    dfa_resp_str(rx, key);
    for (size_t k = 0; k < args->n; k++)
        dfa_resp_arg(rx, args->argv[k], args->len[k]);
}

/* Province p's connection and buffers, made when it first comes: the
 * connection goes to the server of its keys, and is made again when a
 * cluster's map moved their slot. */
static dfa_status open_province(dfa_applier *a, int p, province_work *w, dfa_error *err)
{
    const char *off = province_key(a, p, "off");
    if (!off)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    if (w->conn && !dfa_redis_still_serves(a->redis, w->conn, off)) {
        dfa_redis_free(w->conn); /* nothing is in flight on it: a province is read first */
        w->conn = NULL;
    }
    if (!w->conn) {
        dfa_status st = dfa_redis_open_for_key(a->redis, off, &w->conn, err);
        if (st != DFA_OK)
            return st;
    }
    if ((!w->rx && !(w->rx = dfa_resp_new())) || (!w->tx && !(w->tx = dfa_resp_new())))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    return DFA_OK;
}

/* The commands of phase 1, per pending province on its own connection: a
 * WATCH of its markers, its markers and horizon, its day groups' ids, its
 * keys' fields, its registries. */
static bool build_reads(dfa_applier *a, const char *topic, dfa_batch_item *items, const key_groups *g)
{
    bool ok = true;
    arg_list *fields = &a->scratch;
    for (int p = 0; ok && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        const char *off = province_key(a, p, "off"), *horizon = province_key(a, p, "horizon");
        if (!(ok = off && horizon))
            break;
        dfa_resp_clear(w->rx);
        fields->n = 0;
        size_t watch_reply;
        read_command(a, p, "WATCH", off, fields, &watch_reply);
        for (size_t m = 0; ok && m < w->n_markers; m++)
            ok &= args_push(fields, marker_field(a, topic, w->markers[m].partition));
        read_command(a, p, "HMGET", off, fields, &w->off_reply);
        fields->n = 0;
        read_command(a, p, "GET", horizon, fields, &w->horizon_reply);
        w->months.n = w->gauges.n = 0;
    }
    for (size_t d = 0; ok && d < a->n_days; d++)
        a->days[d].reads.n = 0;
    for (size_t i = 0; ok && i < a->cut; i++) {
        if (a->item_day[i] < 0 || !a->work[a->days[a->item_day[i]].province].pending)
            continue;
        day_group *d = &a->days[a->item_day[i]];
        ok &= args_push(&d->reads, dfa_event_id(items[i].event));
        if (dfa_event_is_retraction(items[i].event))
            ok &= args_push(&d->reads, dfa_event_subject_id(items[i].event));
    }
    for (size_t d = 0; ok && d < a->n_days; d++)
        if (a->days[d].reads.n)
            read_command(a, a->days[d].province, "HMGET", a->days[d].key, &a->days[d].reads, &a->days[d].reply);
    for (size_t k = 0; ok && k < dfa_accum_keys(a->acc); k++) {
        int p = key_province(a->acc, k);
        if (p < 0 || !a->work[p].pending)
            continue;
        const dfa_accum_note *note = dfa_accum_key_note(a->acc, k);
        fields->n = 0;
        for (size_t i = g->first[k]; ok && i < g->first[k + 1]; i++)
            ok &= args_push(fields, dfa_accum_entry_at(a->acc, g->order[i])->field);
        read_command(a, p, "HMGET", dfa_accum_key(a->acc, k), fields, &a->key_reply[k]);
        if (NOTE_REGISTRY(note->tag) != REGISTRY_NONE)
            ok &= args_push(NOTE_REGISTRY(note->tag) == REGISTRY_MONTHS ? &a->work[p].months : &a->work[p].gauges,
                            note->label);
    }
    for (int p = 0; ok && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        const char *months = province_key(a, p, "months"), *gauges = province_key(a, p, "gauges");
        ok = ok && months && gauges;
        if (ok && w->months.n)
            read_command(a, p, "SMISMEMBER", months, &w->months, &w->months_reply);
        if (ok && w->gauges.n)
            read_command(a, p, "SMISMEMBER", gauges, &w->gauges, &w->gauges_reply);
        ok = ok && !dfa_resp_failed(w->rx);
    }
    return ok;
}

/* Stops province p: a key of it holds what the transaction could not write.
 * Nothing of it is written this round; the first such error is reported. */
static void stop_province(dfa_applier *a, int p, const char *key, const char *why)
{
    a->work[p].stopped = true;
    if (!a->stop_msg[0])
        snprintf(a->stop_msg, sizeof a->stop_msg, "province %s stopped, nothing of it applied: key %s: %s",
                 province_code(a, p), key, why);
    dfa_log(DFA_LOG_ERROR, "province_stopped", "province=%s key=%s error=\"%s\"", province_code(a, p), key, why);
}

/* A reply that holds no value a counter can start from. */
static bool parse_count(const redisReply *r, int64_t *out)
{
    if (r->type == REDIS_REPLY_NIL) {
        *out = 0;
        return true;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20)
        return false;
    char *end;
    long long v = strtoll(r->str, &end, 10);
    *out = v;
    return end == r->str + r->len && (size_t)snprintf(NULL, 0, "%lld", v) == r->len; /* canonical, in range */
}

/* A WRONGTYPE reply names a damaged key of one province; any other error is
 * Redis's own trouble (loading, out of memory, ACL) and fails the batch. */
static dfa_status check_reply(dfa_applier *a, const redisReply *r, int p, const char *key, dfa_error *err)
{
    if (r && r->type != REDIS_REPLY_ERROR && r->type != REDIS_REPLY_ARRAY)
        return dfa_fail(err, DFA_ERR_IO, "redis: reading state of %s: unexpected reply", key);
    if (r && r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "WRONGTYPE", 9) != 0)
            return dfa_fail(err, DFA_ERR_IO, "redis: reading state of %s: %s", key, r->str);
        stop_province(a, p, key, r->str);
    }
    return DFA_OK;
}

static const char *pool_value(dfa_applier *a, const redisReply *r)
{
    if (r->type != REDIS_REPLY_STRING)
        return NULL;
    char *v = dfa_arena_alloc(a->pool, r->len + 1);
    if (v) {
        memcpy(v, r->str, r->len);
        v[r->len] = '\0';
    }
    return v;
}

static dfa_status read_markers(dfa_applier *a, province_work *w, int p, dfa_error *err)
{
    const redisReply *r = w->replies[w->off_reply], *y = w->replies[w->horizon_reply];
    dfa_status st = check_reply(a, r, p, province_key(a, p, "off"), err);
    if (st != DFA_OK || w->stopped)
        return st;
    for (size_t m = 0; m < w->n_markers; m++) {
        int64_t v;
        w->markers[m].expected = parse_count(r->element[m], &v) && r->element[m]->type == REDIS_REPLY_STRING ? v : -1;
    }
    int64_t h = 0;
    if (y->type == REDIS_REPLY_ERROR)
        return dfa_fail(err, DFA_ERR_IO, "redis: reading %s: %s", province_key(a, p, "horizon"), y->str);
    w->horizon = parse_count(y, &h) ? (int)h : 0;
    w->keep_from = w->horizon;
    return DFA_OK;
}

static dfa_status read_days(dfa_applier *a, dfa_batch_item *items, dfa_error *err)
{
    for (size_t d = 0; d < a->n_days; d++) {
        day_group *dg = &a->days[d];
        if (dg->reads.n) {
            dfa_status st = check_reply(a, a->work[dg->province].replies[dg->reply], dg->province, dg->key, err);
            if (st != DFA_OK)
                return st;
        }
        dg->reads.n = 0; /* now a cursor into the reply, in the order build_reads asked */
    }
    for (size_t i = 0; i < a->cut; i++) {
        a->lookups[i] = (lookup){NULL, NULL};
        if (a->item_day[i] < 0)
            continue;
        day_group *dg = &a->days[a->item_day[i]];
        if (!a->work[dg->province].pending || a->work[dg->province].stopped)
            continue;
        const redisReply *r = a->work[dg->province].replies[dg->reply];
        a->lookups[i].id_was = pool_value(a, r->element[dg->reads.n++]);
        if (dfa_event_is_retraction(items[i].event))
            a->lookups[i].ref_was = pool_value(a, r->element[dg->reads.n++]);
    }
    return DFA_OK;
}

static dfa_status read_counters(dfa_applier *a, const key_groups *g, dfa_error *err)
{
    for (size_t k = 0; k < dfa_accum_keys(a->acc); k++) {
        int p = key_province(a->acc, k);
        if (p < 0 || !a->work[p].pending)
            continue;
        const char *key = dfa_accum_key(a->acc, k);
        const redisReply *r = a->work[p].replies[a->key_reply[k]];
        dfa_status st = check_reply(a, r, p, key, err);
        if (st != DFA_OK)
            return st;
        for (size_t i = g->first[k]; !a->work[p].stopped && i < g->first[k + 1]; i++) {
            size_t e = g->order[i];
            const redisReply *v = r->element[i - g->first[k]];
            if (!parse_count(v, &a->base[e])) {
                char why[DFA_ERROR_MSG_MAX];
                snprintf(why, sizeof why, "field %s holds %.40s, not a 64-bit integer",
                         dfa_accum_entry_at(a->acc, e)->field, v->type == REDIS_REPLY_STRING ? v->str : "a non-string");
                stop_province(a, p, key, why);
            }
        }
    }
    return DFA_OK;
}

/* Keeps, of each province's registry members, those Redis lacks. */
static dfa_status read_registries(dfa_applier *a, dfa_error *err)
{
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        arg_list *regs[2] = {&w->months, &w->gauges};
        size_t reply[2] = {w->months_reply, w->gauges_reply};
        for (int r = 0; r < 2; r++) {
            if (!regs[r]->n)
                continue;
            const redisReply *rr = w->replies[reply[r]];
            dfa_status st = check_reply(a, rr, p, province_key(a, p, r ? "gauges" : "months"), err);
            if (st != DFA_OK)
                return st;
            if (w->stopped) {
                regs[r]->n = 0;
                continue;
            }
            size_t kept = 0;
            for (size_t m = 0; m < regs[r]->n; m++)
                if (rr->element[m]->type == REDIS_REPLY_INTEGER && rr->element[m]->integer == 0) {
                    regs[r]->argv[kept] = regs[r]->argv[m];
                    regs[r]->len[kept++] = regs[r]->len[m];
                }
            regs[r]->n = kept;
        }
    }
    return DFA_OK;
}

static bool unread(const province_work *w) { return w->pending && !w->read; }

static bool any_unread(const dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++)
        if (unread(&a->work[p]))
            return true;
    return false;
}

/* The first redirection among a read step's replies (NULL when none): the
 * province's keys are served elsewhere, or moving. */
static const redisReply *redirection_in(const province_work *w)
{
    for (size_t i = 0; i < w->n_replies; i++)
        if (w->replies[i]->type == REDIS_REPLY_ERROR && dfa_redis_is_redirection(w->replies[i]->str))
            return w->replies[i];
    return NULL;
}

static void free_province_replies(province_work *w)
{
    for (size_t i = 0; i < w->n_replies; i++)
        freeReplyObject(w->replies[i]);
    w->n_replies = 0;
}

/* Sends the read step of every pending province not read yet on its own
 * connection, then reads their replies into each province's replies: one
 * round trip in all. A province whose connection is lost (*lost), or whose
 * replies hold a redirection (the first one's text in why), stays unread. */
static dfa_status exchange_reads(dfa_applier *a, bool *lost, char *why, size_t why_size, dfa_error *err)
{
    dfa_status st = DFA_OK;
    int sent = 0; /* provinces below this one were sent their reads */
    for (; st == DFA_OK && sent < MAX_PROVINCES; sent++)
        if (unread(&a->work[sent]))
            st = dfa_redis_send_resp(a->work[sent].conn, a->work[sent].rx, err);
    *lost = st != DFA_OK;
    for (int p = 0; p < sent; p++) {
        province_work *w = &a->work[p];
        if (!unread(w))
            continue;
        w->n_replies = dfa_resp_commands(w->rx);
        if (!dfa_array_reserve((void **)&w->replies, &w->cap_replies, w->n_replies, sizeof *w->replies))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        /* every connection sent to is read, even after a failure, so none is left owing replies */
        dfa_status s = dfa_redis_receive(w->conn, w->replies, w->n_replies, st == DFA_OK ? err : NULL);
        const redisReply *moved = s == DFA_OK ? redirection_in(w) : NULL;
        *lost |= s != DFA_OK;
        if (s != DFA_OK)
            w->n_replies = 0;
        else if (moved) {
            if (!why[0])
                snprintf(why, why_size, "%s", moved->str);
            free_province_replies(w);
            continue;
        } else if (st == DFA_OK && w->replies[0]->type != REDIS_REPLY_STATUS)
            s = dfa_fail(err, DFA_ERR_IO, "redis: WATCH: %s",
                         w->replies[0]->type == REDIS_REPLY_ERROR ? w->replies[0]->str : "unexpected reply");
        if (st == DFA_OK)
            st = s;
        w->read = s == DFA_OK;
        w->watched_on = dfa_redis_connection_id(w->conn);
    }
    a->round_trips++;
    return st;
}

/* Opens (or, after a cluster moved their slot, opens again) the connection
 * of every province still to read. */
static dfa_status open_unread(dfa_applier *a, dfa_error *err)
{
    dfa_status st = DFA_OK;
    for (int p = 0; st == DFA_OK && p < MAX_PROVINCES; p++)
        if (unread(&a->work[p]))
            st = open_province(a, p, &a->work[p], err);
    return st;
}

/* Every pending province's read step (connections open, commands built);
 * on a cluster, those redirected or whose node was lost are read again on
 * their slot's master once the map is read again (on one server a lost
 * connection fails the batch, as before: the consumer retries it). */
static dfa_status read_everywhere(dfa_applier *a, dfa_error *err)
{
    bool lost = false;
    char why[DFA_ERROR_MSG_MAX] = "";
    dfa_status st = exchange_reads(a, &lost, why, sizeof why, err);
    while ((st == DFA_OK || lost) && any_unread(a)) {
        if (a->reroutes == MAX_REROUTES || !dfa_redis_reroute(a->redis, lost ? NULL : why))
            break;
        a->reroutes++;
        dfa_log(DFA_LOG_INFO, "redis_reroute", "step=read why=\"%s\"", lost ? "connection lost" : why);
        why[0] = '\0';
        st = open_unread(a, err);
        if (st == DFA_OK)
            st = exchange_reads(a, &lost, why, sizeof why, err);
    }
    if (st == DFA_OK && any_unread(a))
        st = dfa_fail(err, DFA_ERR_IO, "redis cluster: still redirected after %d reroutes: %s", a->reroutes, why);
    return st;
}

static void free_replies(dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++)
        free_province_replies(&a->work[p]);
}

/* Phase 1: everything the decisions need. Each pending province's read
 * starts with a WATCH on its offset markers, on its own connection: any
 * other writer of the province changes them, and then its EXEC refuses. */
static dfa_status read_state(dfa_applier *a, const char *topic, dfa_batch_item *items, dfa_error *err)
{
    size_t n_entries = dfa_accum_size(a->acc), n_keys = dfa_accum_keys(a->acc);
    size_t cap_base = a->cap_entries;
    if (!dfa_array_reserve((void **)&a->base, &cap_base, n_entries, sizeof *a->base) ||
        !dfa_array_reserve((void **)&a->running, &a->cap_entries, n_entries, sizeof *a->running) ||
        !dfa_array_reserve((void **)&a->key_reply, &a->cap_keys, n_keys, sizeof *a->key_reply))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory"); /* base and running grow alike: same sizes */
    memset(a->base, 0, n_entries * sizeof *a->base);
    for (int p = 0; p < MAX_PROVINCES; p++)
        a->work[p].read = false;
    dfa_status st = open_unread(a, err);
    if (st != DFA_OK)
        return st;
    key_groups *g = &a->groups;
    if (!group_entries(a->acc, g) || !build_reads(a, topic, items, g))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    st = read_everywhere(a, err);
    for (int p = 0; st == DFA_OK && p < MAX_PROVINCES; p++)
        if (a->work[p].pending)
            st = read_markers(a, &a->work[p], p, err);
    if (st == DFA_OK)
        st = read_days(a, items, err);
    if (st == DFA_OK)
        st = read_counters(a, g, err);
    if (st == DFA_OK)
        st = read_registries(a, err);
    free_replies(a);
    return st;
}

/* ---- phase 2: decide ---- */

/* The year before which an item's events are outside the horizon: its
 * message's local year (Asia/Ho_Chi_Minh) less horizon_years. A timestamp
 * from the future, or none, counts as now, so no sender can move it ahead. */
static int horizon_floor(const dfa_applier *a, int64_t timestamp_ms)
{
    int64_t t = timestamp_ms > 0 && timestamp_ms < a->now_ms ? timestamp_ms : a->now_ms;
    int64_t local_s = t / 1000 + 7 * 3600;
    return dfa_date_from_days(local_s / 86400).year - a->horizon_years;
}

/* What the batch knows of id in its day group: decided in this batch, else read. */
static const char *recall(const dfa_applier *a, const day_group *d, const char *id, const char *read)
{
    int64_t v = dfa_accum_get(a->memory, d->key, id);
    return v ? a->values[v - 1] : read;
}

/* Remembers value for id from now on, and writes it in the transaction. */
static dfa_status remember(dfa_applier *a, day_group *d, const char *id, const char *value, dfa_error *err)
{
    const char *v = dfa_arena_strdup(a->pool, value);
    if (!v || !dfa_array_reserve((void **)&a->values, &a->cap_values, a->n_values + 1, sizeof *a->values))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    a->values[a->n_values++] = v;
    dfa_status st = dfa_accum_add(a->memory, d->key, id, (int64_t)a->n_values - dfa_accum_get(a->memory, d->key, id), err);
    if (st == DFA_OK && !(args_push(&d->writes, id) && args_push(&d->writes, v)))
        st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    return st;
}

/* While checking each event: whether its deltas keep every counter in the
 * 64-bit range, given what counted before it; if so they are taken into the
 * running values. */
typedef struct {
    dfa_applier *a;
    size_t n_done;
    long done[256];
    int64_t amounts[256];
    const char *key, *field; /* the first that would overflow */
} overflow_check;

static dfa_status check_delta(void *ctx, const dfa_delta *d, dfa_error *err)
{
    overflow_check *c = ctx;
    long e = dfa_accum_find(c->a->acc, d->key, d->field);
    int64_t amount = d->amount;
    int64_t sum;
    if (e < 0 || c->n_done == sizeof c->done / sizeof c->done[0])
        return dfa_fail(err, DFA_ERR_LIMIT, "delta of %s %s not staged", d->key, d->field);
    if (__builtin_add_overflow(c->a->running[e], amount, &sum)) {
        c->key = dfa_accum_key(c->a->acc, dfa_accum_entry_at(c->a->acc, (size_t)e)->key_index);
        c->field = dfa_accum_entry_at(c->a->acc, (size_t)e)->field;
        return DFA_ERR_LIMIT;
    }
    c->a->running[e] = sum;
    c->done[c->n_done] = e;
    c->amounts[c->n_done++] = amount;
    return DFA_OK;
}

/* True when the item's deltas fit; else its reason says which counter. */
static bool fits_counters(dfa_applier *a, dfa_batch_item *it)
{
    overflow_check c = {.a = a};
    if (dfa_event_deltas(it->event, check_delta, &c, NULL) == DFA_OK)
        return true;
    while (c.n_done > 0) {
        c.n_done--;
        a->running[c.done[c.n_done]] -= c.amounts[c.n_done];
    }
    it->outcome = DFA_OUTCOME_DEAD_LETTER;
    it->code = "counter_overflow";
    snprintf(it->reason, sizeof it->reason, "counter %s field %s would leave the 64-bit range with this event",
             c.key ? c.key : "?", c.field ? c.field : "?");
    return false;
}

static void dead_letter(dfa_batch_item *it, const char *code, const char *fmt, const char *arg)
{
    it->outcome = DFA_OUTCOME_DEAD_LETTER;
    it->code = code;
    snprintf(it->reason, sizeof it->reason, fmt, arg);
}

static dfa_status decide_add(dfa_applier *a, day_group *d, dfa_batch_item *it, const lookup *l, dfa_error *err)
{
    const char *id = dfa_event_id(it->event);
    char now[DFA_MEMORY_VALUE_MAX], mismatched[200];
    dfa_memory_verdict v = dfa_memory_add(recall(a, d, id, l->id_was), it->print, now, mismatched, sizeof mismatched);
    if (v == DFA_MEMORY_DUPLICATE) {
        it->outcome = DFA_OUTCOME_DUPLICATE;
        return DFA_OK;
    }
    it->outcome = v == DFA_MEMORY_CANCEL ? DFA_OUTCOME_CANCELLED : DFA_OUTCOME_COUNTED;
    if (v == DFA_MEMORY_COUNT && a->check_each && !fits_counters(a, it))
        return DFA_OK; /* not remembered: it never counted */
    if (mismatched[0]) {
        it->code = "retraction_mismatch";
        snprintf(it->reason, sizeof it->reason,
                 "retraction %.120s came before this event with a copy of other content (type, province, time or data "
                 "differ): it cancels nothing",
                 mismatched);
    }
    return remember(a, d, id, now, err);
}

static dfa_status decide_retraction(dfa_applier *a, day_group *d, dfa_batch_item *it, const lookup *l, dfa_error *err)
{
    const char *id = dfa_event_id(it->event), *ref = dfa_event_subject_id(it->event);
    if (recall(a, d, id, l->id_was)) {
        it->outcome = DFA_OUTCOME_DUPLICATE;
        return DFA_OK;
    }
    char now[DFA_MEMORY_VALUE_MAX];
    switch (dfa_memory_retract(recall(a, d, ref, l->ref_was), it->print, id, now)) {
    case DFA_MEMORY_RETRACT:
        it->outcome = DFA_OUTCOME_RETRACTED;
        if (a->check_each && !fits_counters(a, it))
            return DFA_OK;
        break;
    case DFA_MEMORY_TOMBSTONE: it->outcome = DFA_OUTCOME_TOMBSTONE; break;
    case DFA_MEMORY_ALREADY: it->outcome = DFA_OUTCOME_ALREADY_RETRACTED; break;
    case DFA_MEMORY_MISMATCH:
        dead_letter(it, "retraction_mismatch",
                    "retraction: ref %s names an event with other content (type, province, time or data differ)", ref);
        break;
    case DFA_MEMORY_NOT_EVENT:
        dead_letter(it, "retraction_mismatch", "retraction: ref %s names a retraction, not an event", ref);
        break;
    default:
        dead_letter(it, "retraction_mismatch",
                    "retraction: ref %s already has the most retractions with other copies waiting for it", ref);
        break;
    }
    dfa_status st = remember(a, d, id, DFA_MEMORY_RETRACTION_ID, err); /* a resend is a duplicate */
    return st == DFA_OK && now[0] ? remember(a, d, ref, now, err) : st;
}

/* Decides one item's outcome and its memory; its deltas are already in the
 * batch's accumulator (staged), and come out again unless it counts. */
static dfa_status decide(dfa_applier *a, province_work *w, dfa_batch_item *it, size_t i, dfa_error *err)
{
    marker *m = marker_for(w, it->partition);
    it->code = NULL;
    it->reason[0] = '\0';
    if (it->offset > m->next)
        m->next = it->offset;
    if (it->offset <= m->expected) {
        it->outcome = DFA_OUTCOME_REPLAYED;
        return DFA_OK;
    }
    int floor = horizon_floor(a, it->timestamp_ms);
    if (floor - 1 > w->keep_from)
        w->keep_from = floor - 1; /* one year of grace: partitions a little behind still find their memory */
    if (dfa_event_time(it->event)->local.year < floor) {
        char year[8];
        snprintf(year, sizeof year, "%d", floor);
        dead_letter(it, "outside_horizon", "occurred_at: before the restatement horizon, which starts on %s-01-01", year);
        return DFA_OK;
    }
    day_group *d = &a->days[a->item_day[i]];
    return dfa_event_is_retraction(it->event) ? decide_retraction(a, d, it, &a->lookups[i], err)
                                              : decide_add(a, d, it, &a->lookups[i], err);
}

typedef struct {
    const dfa_applier *a;
    dfa_accum *acc;
} stager;

static dfa_status stage_delta(void *ctx, const dfa_delta *d, dfa_error *err)
{
    const stager *s = ctx;
    int registry = d->kind == DFA_DELTA_GAUGE                                                  ? REGISTRY_GAUGES
                   : d->kind == DFA_DELTA_COUNTER && d->bucket_kind == DFA_PERIOD_MONTH ? REGISTRY_MONTHS
                                                                                            : REGISTRY_NONE;
    dfa_accum_note note = {NOTE_TAG(index_of_code(s->a, d->province), registry),
                           registry == REGISTRY_MONTHS ? d->bucket : registry == REGISTRY_GAUGES ? d->row : NULL};
    return dfa_accum_put_noted(s->acc, d->key, d->field, d->amount, &note, err);
}

/* All the deltas of ev, or none. */
static dfa_status stage_event(const dfa_applier *a, dfa_accum *acc, const dfa_event *ev, dfa_error *err)
{
    stager s = {a, acc};
    return dfa_delta_group(acc, ev, stage_delta, &s, err);
}

/* Adds the deltas of items[from..n) to acc as if each will count, and
 * fingerprints them; stops where acc is full: *end is the first item left
 * out. Only the batch's first item failing to fit is an error. */
static dfa_status stage_items(const dfa_applier *a, dfa_accum *acc, dfa_batch_item *items, size_t from, size_t n,
                              size_t *end, dfa_error *err)
{
    dfa_status st = DFA_OK;
    size_t i = from;
    for (; i < n; i++) {
        if (!items[i].event)
            continue;
        dfa_event_fingerprint(items[i].event, items[i].print);
        dfa_error e = {0};
        st = stage_event(a, acc, items[i].event, &e);
        if (st == DFA_ERR_LIMIT && i > 0) {
            st = DFA_OK;
            break;
        }
        if (st != DFA_OK) {
            if (err)
                *err = e;
            break;
        }
    }
    *end = i;
    return st;
}

static bool counts(dfa_outcome o) { return o == DFA_OUTCOME_COUNTED || o == DFA_OUTCOME_RETRACTED; }

static bool writes_province(const province_work *w) { return w->pending && !w->stopped; }

/* Whether every merged counter stays in the 64-bit range from what Redis holds. */
static bool sums_fit(const dfa_applier *a)
{
    for (size_t e = 0; e < dfa_accum_size(a->acc); e++) {
        int64_t sum;
        const dfa_accum_entry *en = dfa_accum_entry_at(a->acc, e);
        int p = key_province(a->acc, en->key_index);
        if (p >= 0 && writes_province(&a->work[p]) && __builtin_add_overflow(a->base[e], en->amount, &sum))
            return false;
    }
    return true;
}

/* Phase 2: outcomes and merged deltas for the pending provinces' items
 * before *cut. The accumulator starts with every item's deltas (staged
 * again unless begin's staging is still untouched); what does not count is
 * taken out. *again when it must be decided once more: a full memory map
 * moved *cut back to where it filled, or a sum would leave the 64-bit range
 * and each event must be checked in turn. */
static dfa_status decide_all(dfa_applier *a, dfa_batch_item *items, size_t *cut, bool *again, dfa_error *err)
{
    *again = false;
    if (!a->acc_fresh) {
        dfa_accum_clear(a->acc);
        dfa_status st = stage_items(a, a->acc, items, 0, *cut, cut, err);
        if (st != DFA_OK)
            return st;
    }
    a->acc_fresh = false;
    dfa_accum_clear(a->memory);
    a->n_values = 0;
    memcpy(a->running, a->base, dfa_accum_size(a->acc) * sizeof *a->running);
    for (size_t d = 0; d < a->n_days; d++)
        a->days[d].writes.n = 0;
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        w->keep_from = w->horizon;
        for (size_t m = 0; m < w->n_markers; m++)
            w->markers[m].next = w->markers[m].expected;
    }
    for (size_t i = 0; i < *cut; i++) {
        if (!items[i].event)
            continue;
        province_work *w = &a->work[province_index(a, items[i].event)];
        dfa_error e = {0};
        dfa_status st = writes_province(w) ? decide(a, w, &items[i], i, &e) : DFA_OK;
        if (st == DFA_ERR_LIMIT && i > 0) {
            items[i].outcome = DFA_OUTCOME_PENDING;
            *cut = i;
            *again = true; /* redo with the shorter batch */
            return DFA_OK;
        }
        if (st == DFA_OK && (!writes_province(w) || !counts(items[i].outcome)))
            st = dfa_delta_accumulate(a->acc, items[i].event, -1, &e);
        if (st != DFA_OK) {
            if (err)
                *err = e;
            return st;
        }
    }
    if (!a->check_each && !sums_fit(a)) {
        dfa_log(DFA_LOG_WARN, "counter_overflow", "events=%zu action=check_each_event", *cut);
        a->check_each = *again = true;
    }
    return DFA_OK;
}

/* ---- phase 3: the transaction ---- */

#define CHUNK_ITEMS 4096 /* items per command, so no command grows without bound */

/* NAME key [before] item [before] item ..., in commands of CHUNK_ITEMS
 * items; an item is `width` consecutive strings of items. */
static void write_repeated(dfa_resp *b, const char *name, const char *key, const char *before, const arg_list *items,
                           size_t width)
{
    size_t n_items = items->n / width, per_item = width + (before != NULL);
    for (size_t i = 0; i < n_items; i++) {
        if (i % CHUNK_ITEMS == 0) {
            size_t in_chunk = n_items - i < CHUNK_ITEMS ? n_items - i : CHUNK_ITEMS;
            dfa_resp_command(b, 2 + in_chunk * per_item);
            dfa_resp_str(b, name);
            dfa_resp_str(b, key);
        }
        if (before)
            dfa_resp_str(b, before);
        for (size_t k = i * width; k < (i + 1) * width; k++)
            dfa_resp_arg(b, items->argv[k], items->len[k]);
    }
}

/* HSET key field value ... with the new value of every changed counter of
 * key k: what Redis held plus the batch's sum, checked to fit. */
static void write_counters(dfa_applier *a, dfa_resp *b, const key_groups *g, size_t k)
{
    size_t changed = 0;
    for (size_t i = g->first[k]; i < g->first[k + 1]; i++)
        changed += dfa_accum_entry_at(a->acc, g->order[i])->amount != 0;
    const char *key = dfa_accum_key(a->acc, k);
    for (size_t i = g->first[k], done = 0; i < g->first[k + 1]; i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(a->acc, g->order[i]);
        if (e->amount == 0)
            continue;
        if (done % CHUNK_ITEMS == 0) {
            size_t in_chunk = changed - done < CHUNK_ITEMS ? changed - done : CHUNK_ITEMS;
            dfa_resp_command(b, 2 + 2 * in_chunk);
            dfa_resp_str(b, "HSET");
            dfa_resp_str(b, key);
        }
        dfa_resp_str(b, e->field);
        dfa_resp_int(b, a->base[g->order[i]] + e->amount);
        done++;
    }
}

/* DEL of the memory of the years this batch lets go, a few years at a time. */
static bool write_trim(dfa_applier *a, dfa_resp *b, int p, province_work *w)
{
    if (w->horizon == 0 || w->keep_from <= w->horizon)
        return true;
    int from = w->horizon < DFA_YEAR_MIN ? DFA_YEAR_MIN : w->horizon;
    int to = w->keep_from - from > TRIM_YEARS_PER_BATCH ? from + TRIM_YEARS_PER_BATCH : w->keep_from;
    if (from >= to) {
        w->keep_from = to;
        return true;
    }
    int64_t first = dfa_date_to_days((dfa_date){from, 1, 1}), last = dfa_date_to_days((dfa_date){to, 1, 1});
    dfa_resp_command(b, 1 + (size_t)(last - first));
    dfa_resp_str(b, "DEL");
    for (int64_t day = first; day < last; day++) {
        char id[DFA_PERIOD_ID_MAX], key[DFA_KEY_MAX];
        if (!dfa_period_id(DFA_PERIOD_DAY, dfa_date_from_days(day), id) ||
            !dfa_key_memory(key, sizeof key, province_code(a, p), id))
            return false;
        dfa_resp_str(b, key);
    }
    w->keep_from = to;
    return true;
}

static bool write_markers(dfa_applier *a, dfa_resp *b, const char *topic, int p, const province_work *w)
{
    char *off = province_key(a, p, "off");
    char *horizon = province_key(a, p, "horizon");
    if (!off || !horizon)
        return false;
    dfa_resp_command(b, 2 + 2 * w->n_markers);
    dfa_resp_str(b, "HSET");
    dfa_resp_str(b, off);
    for (size_t m = 0; m < w->n_markers; m++) {
        const char *field = marker_field(a, topic, w->markers[m].partition);
        if (!field)
            return false;
        dfa_resp_str(b, field);
        dfa_resp_int(b, w->markers[m].next);
    }
    dfa_resp_command(b, 3);
    dfa_resp_str(b, "SET");
    dfa_resp_str(b, horizon);
    dfa_resp_int(b, w->keep_from);
    return true;
}

/* Phase 3: one MULTI/EXEC per province that is written, on its own
 * connection: its memory, registries, trimmed years and new offset markers,
 * then its counters' new values. Its WATCH of phase 1 makes it all or
 * nothing: EXEC refuses when another writer moved the province's markers
 * since we read them. Nothing in it can fail on data: types and ranges were
 * read. */
static dfa_status build_transaction(dfa_applier *a, const char *topic, int p, const key_groups *g, dfa_error *err)
{
    province_work *w = &a->work[p];
    dfa_resp *b = w->tx;
    char *months = province_key(a, p, "months"), *gauges = province_key(a, p, "gauges");
    bool ok = months && gauges;
    dfa_resp_clear(b);
    dfa_resp_command(b, 1);
    dfa_resp_str(b, "MULTI");
    for (size_t d = 0; ok && d < a->n_days; d++)
        if (a->days[d].province == p)
            write_repeated(b, "HSET", a->days[d].key, NULL, &a->days[d].writes, 2);
    if (ok) {
        write_repeated(b, "SADD", months, NULL, &w->months, 1);
        write_repeated(b, "SADD", gauges, NULL, &w->gauges, 1);
        ok = write_trim(a, b, p, w) && write_markers(a, b, topic, p, w);
    }
    for (size_t k = 0; ok && k < dfa_accum_keys(a->acc); k++)
        if (key_province(a->acc, k) == p)
            write_counters(a, b, g, k);
    dfa_resp_command(b, 1);
    dfa_resp_str(b, "EXEC");
    return ok && !dfa_resp_failed(b) ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
}

/* Every written province's transaction, sent on its connection without
 * waiting for the replies. */
static dfa_status send_transactions(dfa_applier *a, dfa_error *err)
{
    key_groups *g = &a->groups;
    dfa_status st = group_entries(a->acc, g) ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    for (int p = 0; st == DFA_OK && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        w->n_sent = 0;
        if (!writes_province(w))
            continue;
        st = build_transaction(a, a->topic, p, g, err);
        if (st == DFA_OK)
            st = dfa_redis_send_resp(w->conn, w->tx, err);
        if (st == DFA_OK)
            w->n_sent = dfa_resp_commands(w->tx);
    }
    a->round_trips++;
    for (int p = 0; st != DFA_OK && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        dfa_redis_tally t;
        if (w->n_sent) /* nothing is in flight after a failure: what was sent is read and forgotten */
            dfa_redis_receive_tally(w->conn, w->n_sent, &t, NULL);
        w->n_sent = 0;
    }
    return st;
}

/* Reads the transaction's replies: DFA_OK with *conflict when EXEC refused.
 * An error while queueing (out of memory, say) made EXEC discard it all. An
 * error inside EXEC should not happen (types and ranges were read under the
 * WATCH fence); if one does, the rest was applied, so it is said loudly.
 * Reading them relies on hiredis 0.14's reply reader (dfa_redis_tally). */
static dfa_status check_transaction(const dfa_redis_tally *t, size_t n, bool *conflict, dfa_error *err)
{
    if (t->errors > 0 && t->first_error_reply + 1 < n)
        return dfa_fail(err, DFA_ERR_IO, "redis: apply: %s", t->first_error);
    if (t->last_type == REDIS_REPLY_NIL) {
        *conflict = true;
        return DFA_OK;
    }
    if (t->errors > 0 && t->first_error_element >= 0)
        return dfa_fail(err, DFA_ERR_IO, "redis: apply: command %ld of the transaction: %s", t->first_error_element + 1,
                        t->first_error);
    if (t->errors > 0 || t->last_type != REDIS_REPLY_ARRAY)
        return dfa_fail(err, DFA_ERR_IO, "redis: apply: %s", t->errors > 0 ? t->first_error : "unexpected reply to EXEC");
    return DFA_OK;
}

static bool any_pending(const dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++)
        if (a->work[p].pending)
            return true;
    return false;
}

/* Whether every pending province's connection is still the one that sent
 * its WATCH (a WATCH holds only on its connection). */
static bool still_watched(const dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++) {
        const province_work *w = &a->work[p];
        if (w->pending && (w->watched_on == 0 || dfa_redis_connection_id(w->conn) != w->watched_on))
            return false;
    }
    return true;
}

/* One round: read the state, decide, send the transactions. Their replies
 * are read by receive_round. */
static dfa_status send_round(dfa_applier *a, dfa_batch_item *items, dfa_error *err)
{
    for (;;) {
        if (a->round++ == MAX_ROUNDS + a->reroutes) /* a reroute's redo is not a conflict */
            return dfa_fail(err, DFA_ERR_IO, "apply: provinces still conflicting after %d rounds", MAX_ROUNDS);
        for (int p = 0; p < MAX_PROVINCES; p++)
            a->work[p].stopped = false;
        a->stop_msg[0] = '\0';
        a->check_each = false;
        dfa_status st = read_state(a, a->topic, items, err);
        for (bool again = true; st == DFA_OK && again;)
            st = decide_all(a, items, &a->cut, &again, err);
        if (st != DFA_OK)
            return st;
        if (still_watched(a))
            break;
    }
    if (a->before_send)
        a->before_send(a->before_send_ctx);
    return send_transactions(a, err);
}

/* WAIT on every connection that just applied a transaction: only once the
 * replicas hold it may the batch be committed, or a failover to a replica
 * that never got it would lose events whose offsets were committed. */
static dfa_status wait_for_replicas(dfa_applier *a, const bool *applied, dfa_error *err)
{
    char n[16], ms[16];
    snprintf(n, sizeof n, "%d", a->wait_replicas);
    snprintf(ms, sizeof ms, "%d", a->wait_timeout_ms);
    const char *argv[] = {"WAIT", n, ms};
    dfa_status st = DFA_OK;
    for (int p = 0; st == DFA_OK && p < MAX_PROVINCES; p++) {
        if (!applied[p])
            continue;
        redisReply *r = NULL;
        st = dfa_redis_call(a->work[p].conn, argv, 3, &r, err);
        if (st == DFA_OK && (r->type != REDIS_REPLY_INTEGER || r->integer < a->wait_replicas))
            st = dfa_fail(err, DFA_ERR_IO, "redis: province %s: %lld of %d replicas acknowledged within %d ms",
                          province_code(a, p), r->type == REDIS_REPLY_INTEGER ? (long long)r->integer : -1LL,
                          a->wait_replicas, a->wait_timeout_ms);
        freeReplyObject(r);
    }
    a->round_trips++;
    return st;
}

/* A cluster's word that the transaction was not run: a redirection of a
 * queued command (then EXEC answered EXECABORT) or of EXEC itself. */
static bool tally_redirected(const dfa_redis_tally *t)
{
    return t->errors > 0 && t->first_error_element < 0 && dfa_redis_is_redirection(t->first_error);
}

/* After provinces were redirected or lost their node (why: the first
 * redirection, "" when only lost): on a cluster they stay pending and are
 * redone from their read step on their slot's master, once the map is read
 * again (*conflict). A lost connection may have applied the transaction or
 * not: the markers read again say which. On one server the failure stands
 * (lost_err), as before. */
static dfa_status reroute_round(dfa_applier *a, const char *why, const dfa_error *lost_err, bool *conflict,
                                dfa_error *err)
{
    if (a->reroutes < MAX_REROUTES && dfa_redis_reroute(a->redis, why[0] ? why : NULL)) {
        a->reroutes++;
        dfa_log(DFA_LOG_INFO, "redis_reroute", "step=apply why=\"%s\"", why[0] ? why : "connection lost");
        *conflict = true;
        return DFA_OK;
    }
    if (lost_err->code) {
        if (err)
            *err = *lost_err;
        return lost_err->code;
    }
    return dfa_fail(err, DFA_ERR_IO, "redis cluster: still redirected after %d reroutes: %s", a->reroutes, why);
}

/* Reads every province's transaction replies. A province whose EXEC was
 * refused stays pending (*conflict) and is read and decided again; the
 * others are done. A province stopped by a damaged key fails the batch once
 * the others are applied: its items wait, uncommitted, until it is
 * repaired. */
static dfa_status receive_round(dfa_applier *a, bool *conflict, dfa_error *err)
{
    *conflict = false;
    dfa_status st = DFA_OK;
    bool applied[MAX_PROVINCES] = {false};
    dfa_error lost_err = {0};
    char why[sizeof ((dfa_redis_tally *)0)->first_error] = "";
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending || !w->n_sent)
            continue;
        bool refused = false;
        dfa_redis_tally t;
        dfa_error e = {0};
        size_t n = w->n_sent;
        w->n_sent = 0;
        dfa_status s = dfa_redis_receive_tally(w->conn, n, &t, &e);
        if (s != DFA_OK || tally_redirected(&t)) { /* the province stays pending */
            if (s != DFA_OK && !lost_err.code)
                lost_err = e;
            else if (s == DFA_OK && !why[0])
                snprintf(why, sizeof why, "%s", t.first_error);
            continue;
        }
        s = check_transaction(&t, n, &refused, &e);
        if (s != DFA_OK && err && st == DFA_OK)
            *err = e;
        if (s != DFA_OK && st == DFA_OK)
            st = s; /* the first failure is reported; the other provinces' replies are still read */
        if (s == DFA_OK && refused) {
            *conflict = true;
            a->conflicts++;
            dfa_log(DFA_LOG_INFO, "apply_conflict", "reason=watched_markers_changed province=%s round=%d",
                    province_code(a, p), a->round);
        } else if (s == DFA_OK) {
            w->pending = false;
            applied[p] = true;
        }
    }
    if (st == DFA_OK && (lost_err.code || why[0]))
        st = reroute_round(a, why, &lost_err, conflict, err);
    if (st == DFA_OK && a->wait_replicas > 0)
        st = wait_for_replicas(a, applied, err);
    for (int p = 0; st == DFA_OK && !*conflict && p < MAX_PROVINCES; p++)
        a->work[p].pending = false; /* stopped provinces too: the error below says so */
    if (st == DFA_OK && !*conflict && a->stop_msg[0])
        st = dfa_fail(err, DFA_ERR_IO, "%s", a->stop_msg);
    return st;
}

void dfa_applier_wait_replicas(dfa_applier *a, int n, int timeout_ms)
{
    a->wait_replicas = n;
    a->wait_timeout_ms = timeout_ms;
}

void dfa_applier_set_before_send(dfa_applier *a, dfa_applier_hook fn, void *ctx)
{
    a->before_send = fn;
    a->before_send_ctx = ctx;
}

/* ---- staging and the batch's two halves ---- */

void dfa_applier_unstage(dfa_applier *a)
{
    dfa_accum_clear(a->staged);
    a->n_staged = 0;
    a->staged_full = false;
}

dfa_status dfa_applier_stage(dfa_applier *a, dfa_batch_item *items, size_t n, dfa_error *err)
{
    if (a->staged_full || a->n_staged >= n)
        return DFA_OK;
    size_t end = 0;
    dfa_status st = stage_items(a, a->staged, items, a->n_staged, n, &end, err);
    if (st != DFA_OK) {
        dfa_applier_unstage(a);
        a->staged_full = true; /* nothing more until begin, which stages again and says what went wrong */
        return st;
    }
    a->staged_full = end < n;
    a->n_staged = end;
    return DFA_OK;
}

/* The batch's deltas into a->acc: those staged ahead, and the rest of
 * items[0..n) as far as they fit; *cut is where the batch ends. */
static dfa_status take_staged(dfa_applier *a, dfa_batch_item *items, size_t n, size_t *cut, dfa_error *err)
{
    *cut = n;
    a->acc_fresh = a->n_staged > 0 && a->n_staged <= n;
    dfa_status st = DFA_OK;
    if (a->acc_fresh) {
        dfa_accum *t = a->acc;
        a->acc = a->staged;
        a->staged = t;
        *cut = a->n_staged;
        if (!a->staged_full && *cut < n)
            st = stage_items(a, a->acc, items, *cut, n, cut, err);
    } else {
        dfa_accum_clear(a->acc);
        st = stage_items(a, a->acc, items, 0, n, cut, err);
        a->acc_fresh = st == DFA_OK;
    }
    dfa_applier_unstage(a);
    return st;
}

size_t dfa_applier_taken(const dfa_applier *a) { return a->cut; }
uint64_t dfa_applier_round_trips(const dfa_applier *a) { return a->round_trips; }
uint64_t dfa_applier_conflicts(const dfa_applier *a) { return a->conflicts; }
uint64_t dfa_applier_redos(const dfa_applier *a) { return a->redos; }

dfa_status dfa_applier_begin(dfa_applier *a, const char *topic, dfa_batch_item *items, size_t n, dfa_error *err)
{
    a->in_flight = false;
    if (n > a->cap_lookups) {
        lookup *nl = realloc(a->lookups, n * sizeof *nl);
        if (!nl)
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        a->lookups = nl;
        a->cap_lookups = n;
    }
    pool_release(a);
    reset_work(a);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    a->topic = topic, a->round = 0, a->reroutes = 0;
    dfa_status st = take_staged(a, items, n, &a->cut, err);
    if (st == DFA_OK)
        st = group_items(a, items, a->cut, err);
    if (st == DFA_OK && any_pending(a))
        st = send_round(a, items, err);
    a->in_flight = st == DFA_OK;
    return st;
}

dfa_status dfa_applier_finish(dfa_applier *a, dfa_batch_item *items, size_t *done, dfa_error *err)
{
    *done = 0;
    if (!a->in_flight)
        return dfa_fail(err, DFA_ERR_IO, "apply: no batch in flight");
    a->in_flight = false;
    dfa_status st = DFA_OK;
    while (st == DFA_OK && any_pending(a)) {
        bool conflict = false;
        st = receive_round(a, &conflict, err);
        if (st == DFA_OK && conflict) {
            a->redos++;
            st = send_round(a, items, err);
        }
    }
    pool_release(a);
    if (st == DFA_OK)
        *done = a->cut;
    return st;
}

dfa_status dfa_applier_apply(dfa_applier *a, const char *topic, dfa_batch_item *items, size_t n, size_t *done,
                             dfa_error *err)
{
    *done = 0;
    dfa_status st = dfa_applier_begin(a, topic, items, n, err);
    return st == DFA_OK ? dfa_applier_finish(a, items, done, err) : st;
}
