#include "dfa_applier.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_accum.h"
#include "dfa_arena.h"
#include "dfa_delta.h"
#include "dfa_keys.h"
#include "dfa_log.h"

#define MAX_PROVINCES 64
#define MAX_ROUNDS 8
#define POOL_CHUNK (256 * 1024)

static const char *const outcome_names[DFA_OUTCOME__COUNT] = {
    "pending", "counted", "retracted", "tombstone", "cancelled", "already_retracted", "duplicate", "replayed",
    "dead_letter"};

const char *dfa_outcome_name(dfa_outcome o) { return (unsigned)o < DFA_OUTCOME__COUNT ? outcome_names[o] : "unknown"; }

/* A growable array of command arguments. */
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

/* What phase 1 learned about one item. */
typedef struct {
    bool id_seen, id_cancelled, ref_seen, ref_retracted, has_ref_print;
    char ref_print[17];
} lookup;

/* One province's share of the batch. */
typedef struct {
    bool present, pending;
    size_t *items; /* indices into the batch, in order */
    size_t n_items, cap;     /* cap: of items and of markers */
    marker *markers;
    size_t n_markers;
    arg_list members, prints, months, gauges;
    int first_reply; /* index of its first phase-1 reply */
    int n_replies;
} province_work;

struct dfa_applier {
    dfa_redis *redis;
    const dfa_core *core;
    int8_t province_of_code[100]; /* two-digit code -> index of today's unit, -1 if none */
    dfa_accum *acc;   /* the batch's merged deltas */
    bool acc_fresh;   /* acc holds every valid item's deltas (staged), none taken out yet */
    dfa_accum *staged; /* the next batch's deltas, staged ahead of its begin */
    size_t n_staged;  /* items of the next batch looked at so far */
    bool staged_full; /* staged could take no more: the next batch ends at n_staged */
    dfa_accum *ids;   /* ids decided in this batch -> fingerprint (0 if none) */
    dfa_accum *registered; /* month and gauge keys already listed for the registries */
    dfa_resp *tx;          /* the batch's transaction, as sent */
    int64_t dedupe_ms;
    dfa_arena *pool; /* strings needed until a round's commands are written */
    uint64_t watched_on; /* connection that sent this round's WATCH */
    /* the batch between begin and finish */
    bool in_flight;
    const char *topic;
    size_t cut;    /* items[0..cut) are this batch */
    int round;     /* read-decide-write attempts so far */
    size_t n_sent; /* commands whose replies are owed */
    dfa_applier_hook before_send;
    void *before_send_ctx;
    province_work work[MAX_PROVINCES];
    arg_list reads[3 * MAX_PROVINCES + 1]; /* phase 1's commands, kept for the next batch */
    lookup *lookups;
    size_t cap_lookups;
};

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

/* "!<id>": the member that marks id as retracted. */
static char *pool_bang(dfa_applier *a, const char *id)
{
    size_t n = strlen(id) + 1;
    char *p = dfa_arena_alloc(a->pool, n + 1);
    if (p) {
        p[0] = '!';
        memcpy(p + 1, id, n);
    }
    return p;
}

static void pool_release(dfa_applier *a) { dfa_arena_reset(a->pool); }

static bool args_push(arg_list *l, const char *s)
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
    l->len[l->n++] = strlen(s);
    return true;
}

static void args_free(arg_list *l)
{
    free(l->argv);
    free(l->len);
    memset(l, 0, sizeof *l);
}

dfa_status dfa_applier_new(dfa_redis *redis, const dfa_core *core, size_t max_keys, int dedupe_days,
                           dfa_applier **out, dfa_error *err)
{
    dfa_applier *a = calloc(1, sizeof *a);
    if (!a)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    a->redis = redis;
    a->core = core;
    memset(a->province_of_code, -1, sizeof a->province_of_code);
    const dfa_provinces *ps = dfa_core_provinces(core);
    for (size_t i = 0; i < dfa_provinces_current_count(ps) && i < MAX_PROVINCES; i++) {
        const char *code = dfa_provinces_current(ps, i)->code;
        a->province_of_code[(code[0] - '0') * 10 + (code[1] - '0')] = (int8_t)i;
    }
    a->dedupe_ms = (int64_t)dedupe_days * 86400 * 1000;
    a->acc = dfa_accum_new(max_keys);
    a->ids = dfa_accum_new(max_keys);
    a->registered = dfa_accum_new(max_keys);
    a->staged = dfa_accum_new(max_keys);
    a->tx = dfa_resp_new();
    a->pool = dfa_arena_new(POOL_CHUNK);
    if (!a->acc || !a->ids || !a->registered || !a->staged || !a->tx || !a->pool) {
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
        w->present = w->pending = false;
        w->n_items = w->n_markers = 0;
        w->members.n = w->prints.n = w->months.n = w->gauges.n = 0;
        w->first_reply = w->n_replies = 0;
    }
}

static void free_work(dfa_applier *a)
{
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        free(w->items);
        free(w->markers);
        args_free(&w->members);
        args_free(&w->prints);
        args_free(&w->months);
        args_free(&w->gauges);
        memset(w, 0, sizeof *w);
    }
    for (size_t i = 0; i < sizeof a->reads / sizeof a->reads[0]; i++)
        args_free(&a->reads[i]);
}

void dfa_applier_free(dfa_applier *a)
{
    if (!a)
        return;
    free_work(a);
    dfa_arena_free(a->pool);
    dfa_accum_free(a->acc);
    dfa_accum_free(a->ids);
    dfa_accum_free(a->registered);
    dfa_accum_free(a->staged);
    dfa_resp_free(a->tx);
    free(a->lookups);
    free(a);
}

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

/* Groups the items by province and lists each province's partitions. */
static dfa_status group_items(dfa_applier *a, dfa_batch_item *items, size_t n, dfa_error *err)
{
    for (size_t i = 0; i < n; i++) {
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
        marker *m = marker_for(w, items[i].partition);
        if (!m) {
            m = &w->markers[w->n_markers++];
            *m = (marker){items[i].partition, -1, -1};
        }
    }
    return DFA_OK;
}

static char *tag_of(dfa_applier *a, int p, const char *suffix)
{
    return pool_printf(a, DFA_KEY_PREFIX "{p:%s}:%s", dfa_provinces_current(dfa_core_provinces(a->core), (size_t)p)->code,
                       suffix);
}

static char *marker_field(dfa_applier *a, const char *topic, int32_t partition)
{
    return pool_printf(a, "%s:%" PRId32, topic, partition);
}

/* Phase 1: what Redis holds about the batch's ids, refs and markers. It
 * starts with a WATCH on every pending province's offset markers: any other
 * writer of those provinces changes them, and then phase 3's EXEC refuses. */
static dfa_status read_state(dfa_applier *a, const char *topic, dfa_batch_item *items, dfa_error *err)
{
    arg_list *cmds = a->reads;
    dfa_redis_cmd rc[3 * MAX_PROVINCES + 1];
    for (size_t i = 0; i < sizeof a->reads / sizeof a->reads[0]; i++)
        cmds[i].n = 0;
    size_t n_cmds = 1;
    bool ok = args_push(&cmds[0], "WATCH");
    for (int p = 0; p < MAX_PROVINCES; p++)
        if (a->work[p].pending)
            ok &= args_push(&cmds[0], tag_of(a, p, "off"));
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        w->first_reply = (int)n_cmds;
        arg_list *z = &cmds[n_cmds++], *h = &cmds[n_cmds++], *f = &cmds[n_cmds++];
        ok &= args_push(z, "ZMSCORE") && args_push(z, tag_of(a, p, "seen"));
        ok &= args_push(h, "HMGET") && args_push(h, tag_of(a, p, "off"));
        ok &= args_push(f, "HMGET") && args_push(f, tag_of(a, p, "fp")) && args_push(f, "-");
        for (size_t k = 0; k < w->n_items; k++) {
            const dfa_event *ev = items[w->items[k]].event;
            const char *id = dfa_event_id(ev);
            ok &= args_push(z, id) && args_push(z, pool_bang(a, id));
            if (dfa_event_is_retraction(ev)) {
                const char *ref = dfa_event_subject_id(ev);
                ok &= args_push(z, ref) && args_push(z, pool_bang(a, ref)) && args_push(f, ref);
            }
        }
        for (size_t m = 0; m < w->n_markers; m++)
            ok &= args_push(h, marker_field(a, topic, w->markers[m].partition));
        w->n_replies = 3;
    }
    for (size_t i = 0; i < n_cmds; i++)
        rc[i] = (dfa_redis_cmd){(int)cmds[i].n, cmds[i].argv, cmds[i].len};
    redisReply *replies[3 * MAX_PROVINCES + 1] = {0};
    dfa_status st = ok ? dfa_redis_pipeline(a->redis, rc, n_cmds, replies, err) : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    if (st == DFA_OK && (!replies[0] || replies[0]->type != REDIS_REPLY_STATUS))
        st = dfa_fail(err, DFA_ERR_IO, "redis: WATCH: %s", replies[0] && replies[0]->type == REDIS_REPLY_ERROR ? replies[0]->str : "unexpected reply");
    a->watched_on = dfa_redis_connection_id(a->redis);
    for (int p = 0; st == DFA_OK && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        redisReply *z = replies[w->first_reply], *h = replies[w->first_reply + 1], *f = replies[w->first_reply + 2];
        if (!z || z->type != REDIS_REPLY_ARRAY || !h || h->type != REDIS_REPLY_ARRAY || !f || f->type != REDIS_REPLY_ARRAY) {
            const redisReply *bad = z && z->type == REDIS_REPLY_ERROR ? z : (h && h->type == REDIS_REPLY_ERROR ? h : f);
            st = dfa_fail(err, DFA_ERR_IO, "redis: reading state: %s", bad && bad->type == REDIS_REPLY_ERROR ? bad->str : "unexpected reply");
            break;
        }
        size_t zi = 0, fi = 1;
        for (size_t k = 0; k < w->n_items; k++) {
            size_t i = w->items[k];
            lookup *l = &a->lookups[i];
            memset(l, 0, sizeof *l);
            l->id_seen = z->element[zi++]->type != REDIS_REPLY_NIL;
            l->id_cancelled = z->element[zi++]->type != REDIS_REPLY_NIL;
            if (dfa_event_is_retraction(items[i].event)) {
                l->ref_seen = z->element[zi++]->type != REDIS_REPLY_NIL;
                l->ref_retracted = z->element[zi++]->type != REDIS_REPLY_NIL;
                redisReply *fp = f->element[fi++];
                if (fp->type == REDIS_REPLY_STRING && fp->len == 16) {
                    l->has_ref_print = true;
                    memcpy(l->ref_print, fp->str, 17);
                }
            }
        }
        for (size_t m = 0; m < w->n_markers; m++)
            w->markers[m].expected = h->element[m]->type == REDIS_REPLY_STRING ? strtoll(h->element[m]->str, NULL, 10) : -1;
    }
    for (size_t i = 0; i < n_cmds; i++)
        freeReplyObject(replies[i]);
    return st;
}

static uint64_t print_value(const char *hex) { return strtoull(hex, NULL, 16); }

/* Decides one item's outcome and adds its members; its deltas are already in
 * the batch's accumulator (staged), and come out again unless it counts. */
static dfa_status decide(dfa_applier *a, province_work *w, dfa_batch_item *it, const lookup *l, dfa_error *err)
{
    const dfa_event *ev = it->event;
    const char *id = dfa_event_id(ev);
    marker *m = marker_for(w, it->partition);
    if (it->offset > m->next)
        m->next = it->offset;
    if (it->offset <= m->expected) {
        it->outcome = DFA_OUTCOME_REPLAYED;
        return DFA_OK;
    }
    if (l->id_seen || dfa_accum_get(a->ids, id, "") != 0) {
        it->outcome = DFA_OUTCOME_DUPLICATE;
        return DFA_OK;
    }
    const char *print = it->print;
    dfa_status st = DFA_OK;
    if (!dfa_event_is_retraction(ev)) {
        const char *bang = pool_bang(a, id);
        if (!bang)
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        if (l->id_cancelled || dfa_accum_get(a->ids, bang, "") != 0) {
            it->outcome = DFA_OUTCOME_CANCELLED;
        } else {
            it->outcome = DFA_OUTCOME_COUNTED;
            /* the item stays put until this round's transaction is written */
            if (!args_push(&w->prints, id) || !args_push(&w->prints, print))
                return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        }
        st = dfa_accum_add(a->ids, id, "", (int64_t)(print_value(print) | 1), err);
    } else {
        const char *ref = dfa_event_subject_id(ev);
        const char *bang = pool_bang(a, ref); /* in the pool: it goes into seen as it is */
        if (!bang)
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        int64_t batch_print = dfa_accum_get(a->ids, ref, "");
        if (l->ref_retracted || dfa_accum_get(a->ids, bang, "") != 0) {
            it->outcome = DFA_OUTCOME_ALREADY_RETRACTED;
        } else if (l->ref_seen || batch_print != 0) {
            uint64_t want = batch_print ? (uint64_t)batch_print : (l->has_ref_print ? (print_value(l->ref_print) | 1) : 0);
            if (want && want != (print_value(print) | 1)) {
                it->outcome = DFA_OUTCOME_DEAD_LETTER;
                it->code = "retraction_mismatch";
                snprintf(it->reason, sizeof it->reason,
                         "retraction: ref %s names an event with other content (type, province, time or data differ)", ref);
                return DFA_OK;
            }
            it->outcome = DFA_OUTCOME_RETRACTED;
        } else {
            it->outcome = DFA_OUTCOME_TOMBSTONE;
        }
        if (st == DFA_OK && it->outcome != DFA_OUTCOME_ALREADY_RETRACTED)
            st = dfa_accum_add(a->ids, bang, "", 1, err);
        if (st == DFA_OK && it->outcome != DFA_OUTCOME_ALREADY_RETRACTED && !args_push(&w->members, bang))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        if (st == DFA_OK)
            st = dfa_accum_add(a->ids, id, "", 1, err);
    }
    if (st == DFA_OK && !args_push(&w->members, id)) /* the event outlives the batch's pool */
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    return st;
}

/* Adds the deltas of items[from..n) to acc as if each will count, and
 * fingerprints them; stops where acc is full: *end is the first item left
 * out. Only the batch's first item failing to fit is an error. */
static dfa_status stage_items(dfa_accum *acc, dfa_batch_item *items, size_t from, size_t n, size_t *end, dfa_error *err)
{
    dfa_status st = DFA_OK;
    size_t i = from;
    for (; i < n; i++) {
        if (!items[i].event)
            continue;
        dfa_event_fingerprint(items[i].event, items[i].print);
        dfa_error e = {0};
        st = dfa_accum_add_event(acc, items[i].event, &e);
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

/* Phase 2: outcomes and merged deltas for the pending provinces' items
 * before *cut. The accumulator starts with every item's deltas (staged
 * again unless begin's staging is still untouched); what does not count is
 * taken out. A full ids set moves *cut back to where it filled
 * (*shortened): the caller decides again over the shorter batch. */
static dfa_status decide_all(dfa_applier *a, dfa_batch_item *items, size_t *cut, bool *shortened, dfa_error *err)
{
    *shortened = false;
    if (!a->acc_fresh) {
        dfa_accum_clear(a->acc);
        dfa_status st = stage_items(a->acc, items, 0, *cut, cut, err);
        if (st != DFA_OK)
            return st;
    }
    a->acc_fresh = false;
    dfa_accum_clear(a->ids);
    for (int p = 0; p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        w->members.n = w->prints.n = w->months.n = w->gauges.n = 0;
        for (size_t m = 0; m < w->n_markers; m++)
            w->markers[m].next = w->markers[m].expected;
    }
    for (size_t i = 0; i < *cut; i++) {
        if (!items[i].event)
            continue;
        province_work *w = &a->work[province_index(a, items[i].event)];
        dfa_error e = {0};
        dfa_status st = w->pending ? decide(a, w, &items[i], &a->lookups[i], &e) : DFA_OK;
        if (st == DFA_ERR_LIMIT && i > 0) {
            items[i].outcome = DFA_OUTCOME_PENDING;
            *cut = i;
            *shortened = true; /* redo with the shorter batch */
            return DFA_OK;
        }
        if (st == DFA_OK && (!w->pending || !counts(items[i].outcome)))
            st = dfa_accum_sub_event(a->acc, items[i].event, &e);
        if (st != DFA_OK) {
            if (err)
                *err = e;
            return st;
        }
    }
    return DFA_OK;
}

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

/* The month buckets and gauge keys the batch touches, once each, into their
 * province's registries (readers list them instead of scanning). */
static dfa_status list_registries(dfa_applier *a, dfa_error *err)
{
    dfa_accum_clear(a->registered);
    dfa_status st = DFA_OK;
    for (size_t i = 0; st == DFA_OK && i < dfa_accum_size(a->acc); i++) {
        const char *key = dfa_accum_entry_at(a->acc, i)->key;
        /* dfa:{p:CC}:<suffix> */
        int p = key[4] == '{' ? index_of_code(a, key + 7) : -1;
        if (p < 0 || strncmp(key + 9, "}:", 2) != 0)
            return dfa_fail(err, DFA_ERR_LIMIT, "delta key %s has no province tag", key);
        const char *suffix = key + 11;
        bool month = strncmp(suffix, "c:M", 3) == 0, gauge = strncmp(suffix, "g:", 2) == 0;
        if ((!month && !gauge) || dfa_accum_get(a->registered, key, "") != 0)
            continue;
        province_work *w = &a->work[p];
        st = dfa_accum_add(a->registered, key, "", 1, err);
        if (st == DFA_OK && !(month ? args_push(&w->months, suffix + 2) : args_push(&w->gauges, key)))
            st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    return st;
}

/* Phase 3: the whole batch in one MULTI/EXEC: per pending province its ids
 * into seen, their fingerprints, the registries, its new offset markers and
 * the expiry of old ids; then every merged counter as a native HINCRBY. The
 * WATCH of phase 1 makes it all or nothing: EXEC refuses when another writer
 * moved a watched province's markers since we read them (*conflict). A
 * counter brought back to 0 stays as a 0 field, which every reader treats as
 * absent. */
static dfa_status build_transaction(dfa_applier *a, const char *topic, dfa_resp *b, dfa_error *err)
{
    dfa_status st = list_registries(a, err);
    if (st != DFA_OK)
        return st;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_ms);
    bool ok = true;
    dfa_resp_clear(b);
    dfa_resp_command(b, 1);
    dfa_resp_str(b, "MULTI");
    for (int p = 0; ok && p < MAX_PROVINCES; p++) {
        province_work *w = &a->work[p];
        if (!w->pending)
            continue;
        char *seen = tag_of(a, p, "seen"), *fp = tag_of(a, p, "fp"), *months = tag_of(a, p, "months"),
             *gauges = tag_of(a, p, "gauges"), *off = tag_of(a, p, "off");
        if (!(ok = seen && fp && months && gauges && off))
            break;
        write_repeated(b, "ZADD", seen, now, &w->members, 1);
        write_repeated(b, "HSET", fp, NULL, &w->prints, 2);
        write_repeated(b, "SADD", months, NULL, &w->months, 1);
        write_repeated(b, "SADD", gauges, NULL, &w->gauges, 1);
        dfa_resp_command(b, 2 + 2 * w->n_markers);
        dfa_resp_str(b, "HSET");
        dfa_resp_str(b, off);
        for (size_t m = 0; ok && m < w->n_markers; m++) {
            const char *field = marker_field(a, topic, w->markers[m].partition);
            if ((ok = field != NULL)) {
                dfa_resp_str(b, field);
                dfa_resp_int(b, w->markers[m].next);
            }
        }
        dfa_resp_command(b, 6);
        dfa_resp_str(b, "EVAL");
        dfa_resp_str(b, dfa_redis_expire_source());
        dfa_resp_str(b, "2");
        dfa_resp_str(b, seen);
        dfa_resp_str(b, fp);
        dfa_resp_int(b, now_ms - a->dedupe_ms);
    }
    for (size_t i = 0; ok && i < dfa_accum_size(a->acc); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(a->acc, i);
        if (e->amount == 0)
            continue;
        dfa_resp_command(b, 4);
        dfa_resp_arg(b, "HINCRBY", 7);
        dfa_resp_str(b, e->key);
        dfa_resp_str(b, e->field);
        dfa_resp_int(b, e->amount);
    }
    dfa_resp_command(b, 1);
    dfa_resp_str(b, "EXEC");
    return ok && !dfa_resp_failed(b) ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
}

/* Reads the transaction's replies: DFA_OK with *conflict when EXEC refused.
 * An error while queueing made EXEC discard it all; an error inside EXEC
 * (a damaged key) leaves the rest applied, so it is said loudly. */
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

/* One round: read the state, decide, send the transaction. Its replies are
 * read by receive_round. */
static dfa_status send_round(dfa_applier *a, dfa_batch_item *items, dfa_error *err)
{
    for (;;) {
        if (a->round++ == MAX_ROUNDS)
            return dfa_fail(err, DFA_ERR_IO, "apply: provinces still conflicting after %d rounds", MAX_ROUNDS);
        dfa_status st = read_state(a, a->topic, items, err);
        for (bool shortened = true; st == DFA_OK && shortened;)
            st = decide_all(a, items, &a->cut, &shortened, err);
        if (st != DFA_OK)
            return st;
        if (a->watched_on != 0 && dfa_redis_connection_id(a->redis) == a->watched_on)
            break;
        pool_release(a); /* the connection that watched is gone: read again */
    }
    if (a->before_send)
        a->before_send(a->before_send_ctx);
    dfa_status st = build_transaction(a, a->topic, a->tx, err);
    if (st == DFA_OK)
        st = dfa_redis_send_resp(a->redis, a->tx, err);
    a->n_sent = st == DFA_OK ? dfa_resp_commands(a->tx) : 0;
    pool_release(a); /* hiredis holds its own copy of what was sent */
    return st;
}

/* Reads the round's replies; *conflict when EXEC refused and the provinces
 * are still to do. */
static dfa_status receive_round(dfa_applier *a, bool *conflict, dfa_error *err)
{
    *conflict = false;
    dfa_redis_tally t;
    dfa_status st = dfa_redis_receive_tally(a->redis, a->n_sent, &t, err);
    if (st == DFA_OK)
        st = check_transaction(&t, a->n_sent, conflict, err);
    if (st == DFA_OK && *conflict)
        dfa_log(DFA_LOG_INFO, "apply_conflict", "reason=watched_markers_changed round=%d", a->round);
    for (int p = 0; st == DFA_OK && !*conflict && p < MAX_PROVINCES; p++)
        a->work[p].pending = false;
    a->n_sent = 0;
    return st;
}

void dfa_applier_set_before_send(dfa_applier *a, dfa_applier_hook fn, void *ctx)
{
    a->before_send = fn;
    a->before_send_ctx = ctx;
}

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
    dfa_status st = stage_items(a->staged, items, a->n_staged, n, &end, err);
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
            st = stage_items(a->acc, items, *cut, n, cut, err);
    }
    dfa_applier_unstage(a);
    return st;
}

size_t dfa_applier_taken(const dfa_applier *a) { return a->cut; }

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
    reset_work(a);
    a->topic = topic, a->round = 0, a->n_sent = 0;
    dfa_status st = take_staged(a, items, n, &a->cut, err);
    if (st == DFA_OK)
        st = group_items(a, items, n, err);
    if (st == DFA_OK && any_pending(a))
        st = send_round(a, items, err);
    pool_release(a);
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
        if (st == DFA_OK && conflict)
            st = send_round(a, items, err);
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
