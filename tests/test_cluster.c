/* The cluster routing layer (store/dfa_cluster.c) against a real Redis
 * Cluster of 3 masters with a replica each, started and balanced by
 * cli/test_cluster.sh (DFA_CLUSTER_SEED, DFA_CLUSTER_PIDS "port:pid ...",
 * DFA_CLUSTER_BALANCE the balance script). Every slot is checked against the
 * server's own CLUSTER KEYSLOT, every route by the server accepting the
 * command, a live slot move and a master killed with -9 by what the cluster
 * answers afterwards. The tests run in order: each leaves the cluster as the
 * next one expects it. */
#include "test_support.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "dfa_cluster.h"
#include "dfa_keys.h"
#include "dfa_province.h"

#define BUSY "79"    /* Hồ Chí Minh City: the province whose slot moves */
#define FAILED "01"  /* Hà Nội: the province whose master is killed */
#define DAYS 100

typedef struct {
    dfa_core *core;
    dfa_cluster *cluster;
    char seed_host[64];
    int seed_port;
} fixture;

static fixture fx;

static int setup(void **state)
{
    const char *seed = getenv("DFA_CLUSTER_SEED");
    dfa_error err = {0};
    if (!seed || sscanf(seed, "%63[^:]:%d", fx.seed_host, &fx.seed_port) != 2) {
        fprintf(stderr, "set DFA_CLUSTER_SEED to host:port (cli/test_cluster.sh does)\n");
        return -1;
    }
    if (open_core((void **)&fx.core) != 0)
        return -1;
    if (dfa_cluster_new_at(seed, NULL, NULL, 2000, &fx.cluster, &err) != DFA_OK) {
        fprintf(stderr, "dfa_cluster_new_at: %s\n", err.msg);
        return -1;
    }
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dfa_cluster_free(fx.cluster);
    dfa_core_free(fx.core);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A connection of the test's own, to ask the server directly. */
static redisContext *probe(const char *host, int port)
{
    redisContext *ctx = redisConnect(host, port);
    assert_non_null(ctx);
    assert_int_equal(ctx->err, 0);
    return ctx;
}

static redisReply *ask(redisContext *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    return r;
}

static long long ask_int(redisContext *ctx, const char *fmt, const char *a, size_t alen)
{
    redisReply *r = ask(ctx, fmt, a, alen);
    if (r->type != REDIS_REPLY_INTEGER)
        fail_msg("%s: not an integer: %s", fmt, r->type == REDIS_REPLY_ERROR ? r->str : "?");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void expect_status(redisContext *ctx, const char *want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, want) != 0)
        fail_msg("%s: got %s, want %s", fmt, r->str ? r->str : "(no text)", want);
    freeReplyObject(r);
}

static const char *code_at(size_t i)
{
    return dfa_provinces_current(dfa_core_provinces(fx.core), i)->code;
}

static size_t provinces(void) { return dfa_provinces_current_count(dfa_core_provinces(fx.core)); }

/* One command through the handle; its reply's text (status or string) must be want. */
static void call_expect(const char *want, const char *const *argv, size_t argc, size_t key_index)
{
    redisReply *r = NULL;
    dfa_error err = {0};
    if (dfa_cluster_call(fx.cluster, argv, argc, key_index, &r, &err) != DFA_OK)
        fail_msg("dfa_cluster_call %s %s: %s", argv[0], argv[key_index], err.msg);
    if (!r->str || strcmp(r->str, want) != 0)
        fail_msg("%s %s: got [%s] type %d, want [%s]", argv[0], argv[key_index], r->str ? r->str : "", r->type, want);
    freeReplyObject(r);
}

/* A routed pipeline through h: GET of each key of keys[0..n), each reply's text must be want[i]. */
static void run_expect(dfa_cluster *h, const char *const *keys, const char *const *want, size_t n)
{
    dfa_resp *b = dfa_resp_new();
    redisReply *replies[64];
    dfa_error err = {0};
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        const char *get[] = {"GET", keys[i]};
        dfa_resp_argv(b, get, 2);
    }
    if (dfa_cluster_run(h, b, replies, &err) != DFA_OK)
        fail_msg("dfa_cluster_run: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (!replies[i]->str || strcmp(replies[i]->str, want[i]) != 0)
            fail_msg("GET %s: got [%s], want [%s]", keys[i], replies[i]->str ? replies[i]->str : "", want[i]);
        freeReplyObject(replies[i]);
    }
    dfa_resp_free(b);
}

/* ---- slots ---- */

/* The spec's check value of CRC-16/XMODEM: "123456789" -> 0x31C3. */
static void test_slot_check_value(void **state)
{
    (void)state;
    assert_int_equal(dfa_cluster_slot("123456789", 9), 0x31C3 % 16384);
    assert_int_equal(dfa_cluster_slot("{123456789}", 11), 0x31C3 % 16384);
}

static void expect_server_slot(redisContext *ctx, const char *key, size_t len)
{
    long long want = ask_int(ctx, "CLUSTER KEYSLOT %b", key, len);
    if (dfa_cluster_slot(key, len) != want)
        fail_msg("slot of [%.*s]: %u, the server says %lld", (int)len, key, (unsigned)dfa_cluster_slot(key, len), want);
}

/* Every key shape of every province, and keys without a tag or with an empty
 * or odd one, against the server's CLUSTER KEYSLOT. */
static void test_slots_match_server(void **state)
{
    (void)state;
    redisContext *ctx = probe(fx.seed_host, fx.seed_port);
    char key[DFA_KEY_MAX];
    assert_int_equal(provinces(), 34);
    for (size_t i = 0; i < provinces(); i++) {
        const char *code = code_at(i);
        assert_true(dfa_key_counters(key, sizeof key, code, "M2025-07"));
        expect_server_slot(ctx, key, strlen(key));
        assert_true(dfa_key_memory(key, sizeof key, code, "D2025-07-01"));
        expect_server_slot(ctx, key, strlen(key));
        assert_true(dfa_key_province(key, sizeof key, code, "off"));
        expect_server_slot(ctx, key, strlen(key));
        snprintf(key, sizeof key, "{p:%s}", code);
        expect_server_slot(ctx, key, strlen(key));
        /* a province's keys share its tag's slot */
        char other[DFA_KEY_MAX];
        assert_true(dfa_key_gauge(other, sizeof other, code, "staff@91"));
        assert_int_equal(dfa_cluster_slot(other, strlen(other)), dfa_cluster_slot(key, strlen(key)));
    }
    static const char *const odd[] = {
        "dfa:snapshots", "dfa:consumer:host-1", "", "foo", "{}", "foo{}bar", "foo{}{bar}", "foo{{bar}}",
        "foo{bar", "foo}bar{", "}{", "a}{b}", "}{p:79}", "{user1000}.following", "a{b}c{d}", "{p:79", "p:79}", "123456789",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        expect_server_slot(ctx, odd[i], strlen(odd[i]));
    expect_server_slot(ctx, "a\0{x}b", 6); /* a NUL byte is a byte like any */
    expect_server_slot(ctx, "\xff\xfe{\x80}", 5);
    redisFree(ctx);
}

/* ---- what an error reply says ---- */

static void expect_redirect(const char *error, dfa_cluster_verdict verdict, unsigned slot, const char *host, int port)
{
    dfa_cluster_redirect r;
    assert_int_equal(dfa_cluster_classify(error, &r), verdict);
    assert_int_equal(r.verdict, verdict);
    assert_int_equal(r.slot, slot);
    assert_string_equal(r.host, host);
    assert_int_equal(r.port, port);
}

static void test_classify(void **state)
{
    (void)state;
    expect_redirect("MOVED 3999 127.0.0.1:6381", DFA_CLUSTER_MOVED, 3999, "127.0.0.1", 6381);
    expect_redirect("ASK 16383 10.0.0.7:7000", DFA_CLUSTER_ASK, 16383, "10.0.0.7", 7000);
    expect_redirect("MOVED 0 ::1:7001", DFA_CLUSTER_MOVED, 0, "::1", 7001);
    expect_redirect("MOVED 12 :7002", DFA_CLUSTER_MOVED, 12, "", 7002); /* endpoint left out */
    expect_redirect("MOVED 1 h:65535", DFA_CLUSTER_MOVED, 1, "h", 65535);  /* the bounds */
    expect_redirect("ASK 0 h:1", DFA_CLUSTER_ASK, 0, "h", 1);
    expect_redirect("TRYAGAIN Multiple keys request during rehashing of slot", DFA_CLUSTER_TRYAGAIN, 0, "", 0);
    expect_redirect("CLUSTERDOWN The cluster is down", DFA_CLUSTER_CLUSTERDOWN, 0, "", 0);
    expect_redirect("CLUSTERDOWN Hash slot not served", DFA_CLUSTER_CLUSTERDOWN, 0, "", 0);
    static const char *const other[] = {
        "ERR unknown command", "WRONGTYPE Operation against a key holding the wrong kind of value", "MOVED",
        "MOVED 3999", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:65536",
        "MOVED 1 h:1 extra", "MOVED 1 h:+1", "MOVEDX 1 h:1", "ASKING", "TRYAGAINX", "CLUSTERDOWNX", "moved 1 h:1", "",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        if (dfa_cluster_classify(other[i], NULL) != DFA_CLUSTER_OTHER)
            fail_msg("[%s] classified as a redirection", other[i]);
    assert_int_equal(dfa_cluster_classify(NULL, NULL), DFA_CLUSTER_OTHER);
}

/* ---- the map ---- */

static int by_count_desc(const void *a, const void *b) { return *(const int *)b - *(const int *)a; }

/* The map read from the cluster: 3 masters with a replica each, 16384 slots;
 * each province's key written on its master's connection is accepted there
 * (a master that does not own the slot answers MOVED); 12/11/11 provinces. */
static void test_map_routes(void **state)
{
    (void)state;
    dfa_error err = {0};
    assert_int_equal(dfa_cluster_master_count(fx.cluster), 0);
    assert_null(dfa_cluster_master_for_slot(fx.cluster, 0));
    if (dfa_cluster_refresh(fx.cluster, &err) != DFA_OK)
        fail_msg("refresh: %s", err.msg);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), 1);
    assert_int_equal(dfa_cluster_master_count(fx.cluster), 3);
    size_t slots = 0;
    for (size_t i = 0; i < 3; i++) {
        const dfa_cluster_master *m = dfa_cluster_master_at(fx.cluster, i);
        assert_int_equal(strlen(m->id), 40);
        slots += m->slots;
    }
    assert_int_equal(slots, DFA_CLUSTER_SLOTS);
    assert_int_equal(dfa_cluster_master_for_slot(fx.cluster, 0), dfa_cluster_master_at(fx.cluster, 0));

    int held[3] = {0};
    char key[DFA_KEY_MAX];
    for (size_t i = 0; i < provinces(); i++) {
        assert_true(dfa_key_province(key, sizeof key, code_at(i), "horizon"));
        const dfa_cluster_master *m = dfa_cluster_master_for_key(fx.cluster, key, strlen(key));
        assert_non_null(m);
        held[m - dfa_cluster_master_at(fx.cluster, 0)]++;
        const char *set[] = {"SET", key, code_at(i)};
        redisReply *r = NULL;
        assert_int_equal(dfa_redis_call(dfa_cluster_redis_for_key(fx.cluster, key, strlen(key)), set, 3, &r, &err), DFA_OK);
        if (r->type != REDIS_REPLY_STATUS)
            fail_msg("SET %s on port %d: %s", key, m->port, r->str);
        freeReplyObject(r);
        const char *get[] = {"GET", key};
        call_expect(code_at(i), get, 2, 1);
    }
    qsort(held, 3, sizeof *held, by_count_desc);
    assert_int_equal(held[0], 12);
    assert_int_equal(held[1], 11);
    assert_int_equal(held[2], 11);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), 1); /* nothing was redirected */
}

static size_t masters_listing_a_replica(void)
{
    size_t n = 0;
    for (size_t i = 0; i < dfa_cluster_master_count(fx.cluster); i++)
        n += dfa_cluster_master_at(fx.cluster, i)->replicas == 1;
    return n;
}

/* Redis 7.0 lists a replica in CLUSTER SLOTS once gossip has told of a
 * replication offset other than 0, that is once its master was written
 * (test_map_routes wrote all three): within a few node timeouts. */
static void wait_replicas_listed(void)
{
    dfa_error err = {0};
    for (int i = 0; i < 100 && masters_listing_a_replica() < 3; i++) {
        sleep_ms(100);
        assert_int_equal(dfa_cluster_refresh(fx.cluster, &err), DFA_OK);
    }
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dfa_cluster_master_at(fx.cluster, i)->replicas, 1);
}

static size_t scanned;
static dfa_status count_key(void *ctx, const char *key, dfa_error *err)
{
    (void)ctx, (void)err, (void)key;
    scanned++;
    return DFA_OK;
}

/* SCAN over every master finds each province's key once; WAIT on each
 * master counts the one replica the map says it has. */
static void test_masters_scan_and_wait(void **state)
{
    (void)state;
    dfa_error err = {0};
    wait_replicas_listed();
    scanned = 0;
    assert_int_equal(dfa_cluster_scan(fx.cluster, "dfa:{p:??}:horizon", count_key, NULL, &err), DFA_OK);
    assert_int_equal(scanned, 34);
    for (size_t i = 0; i < dfa_cluster_master_count(fx.cluster); i++) {
        const dfa_cluster_master *m = dfa_cluster_master_at(fx.cluster, i);
        const char *wait[] = {"WAIT", "1", "5000"};
        redisReply *r = NULL;
        assert_int_equal(dfa_redis_call(m->redis, wait, 3, &r, &err), DFA_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, (long long)m->replicas);
        freeReplyObject(r);
    }
}

/* ---- a slot moved live: ASK and TRYAGAIN during, MOVED after ---- */

static void day_key(char *key, size_t cap, int i)
{
    char day[16];
    snprintf(day, sizeof day, "D2025-%02d-%02d", 1 + i / 25, 1 + i % 25);
    assert_true(dfa_key_counters(key, cap, BUSY, day));
}

static void write_busy_province(void)
{
    char key[DFA_KEY_MAX], value[16];
    for (int i = 0; i < DAYS; i++) {
        day_key(key, sizeof key, i);
        snprintf(value, sizeof value, "%d", i + 1);
        const char *hset[] = {"HSET", key, "_events@" BUSY, value};
        redisReply *r = NULL;
        dfa_error err = {0};
        assert_int_equal(dfa_cluster_call(fx.cluster, hset, 4, 1, &r, &err), DFA_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
}

static void expect_error_reply(redisReply *r, dfa_cluster_verdict verdict, uint16_t slot, int port)
{
    dfa_cluster_redirect d;
    if (r->type != REDIS_REPLY_ERROR)
        fail_msg("no error reply (type %d) where %d was expected", r->type, verdict);
    assert_int_equal(dfa_cluster_classify(r->str, &d), verdict);
    if (verdict == DFA_CLUSTER_MOVED || verdict == DFA_CLUSTER_ASK) {
        assert_int_equal(d.slot, slot);
        assert_string_equal(d.host, "127.0.0.1");
        assert_int_equal(d.port, port);
    }
    freeReplyObject(r);
}

/* The keys a node holds in a slot, whoever owns it. */
static long long count_in_slot(redisContext *ctx, uint16_t slot)
{
    char text[8];
    snprintf(text, sizeof text, "%u", (unsigned)slot);
    return ask_int(ctx, "CLUSTER COUNTKEYSINSLOT %b", text, strlen(text));
}

/* The sum of the busy province's 100 counters, read through the handle. */
static long long busy_sum(void)
{
    char key[DFA_KEY_MAX];
    long long sum = 0;
    for (int i = 0; i < DAYS; i++) {
        day_key(key, sizeof key, i);
        const char *hget[] = {"HGET", key, "_events@" BUSY};
        redisReply *r = NULL;
        dfa_error err = {0};
        assert_int_equal(dfa_cluster_call(fx.cluster, hget, 3, 1, &r, &err), DFA_OK);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        sum += atoll(r->str);
        freeReplyObject(r);
    }
    return sum;
}

static void test_slot_moved(void **state)
{
    (void)state;
    char key[DFA_KEY_MAX];
    dfa_error err = {0};
    write_busy_province();
    day_key(key, sizeof key, 0);
    uint16_t slot = dfa_cluster_slot(key, strlen(key));
    const dfa_cluster_master *from = dfa_cluster_master_for_slot(fx.cluster, slot);
    const dfa_cluster_master *to = dfa_cluster_master_at(fx.cluster, from == dfa_cluster_master_at(fx.cluster, 0) ? 1 : 0);
    int from_port = from->port, to_port = to->port;
    char from_id[41], to_id[41];
    snprintf(from_id, sizeof from_id, "%s", from->id);
    snprintf(to_id, sizeof to_id, "%s", to->id);
    redisReply *r = NULL;
    dfa_redis *stale = from->redis; /* valid until dfa_cluster_free, whatever the map says */
    dfa_cluster *other = NULL; /* a second handle, whose map is read now: stale after the move */
    assert_int_equal(dfa_cluster_new_at(getenv("DFA_CLUSTER_SEED"), NULL, NULL, 2000, &other, &err), DFA_OK);
    assert_int_equal(dfa_cluster_refresh(other, &err), DFA_OK);
    uint64_t maps = dfa_cluster_refreshes(fx.cluster);
    redisContext *src = probe("127.0.0.1", from_port), *dst = probe("127.0.0.1", to_port);

    /* the slot half-moved, as a reshard leaves it while it migrates keys */
    expect_status(dst, "OK", "CLUSTER SETSLOT %u IMPORTING %s", (unsigned)slot, from_id);
    expect_status(src, "OK", "CLUSTER SETSLOT %u MIGRATING %s", (unsigned)slot, to_id);
    expect_error_reply(ask(src, "GET dfa:{p:" BUSY "}:new"), DFA_CLUSTER_ASK, slot, to_port);
    expect_error_reply(ask(src, "EXISTS %s dfa:{p:" BUSY "}:new", key), DFA_CLUSTER_TRYAGAIN, 0, 0);
    const char *set_new[] = {"SET", "dfa:{p:" BUSY "}:new", "fresh"};
    call_expect("OK", set_new, 3, 1); /* followed the ASK: created on the target */
    const char *get_new[] = {"GET", "dfa:{p:" BUSY "}:new"};
    call_expect("fresh", get_new, 2, 1);
    /* in a pipeline too: the ASK is followed for that command alone */
    const char *pk[] = {"dfa:{p:" FAILED "}:runtest", "dfa:{p:" BUSY "}:new", "dfa:{p:" BUSY "}:runtest"};
    const char *pv[] = {"v0", "fresh", "v"};
    char busy_value[16];
    for (size_t i = 0; i < provinces(); i++)
        if (strcmp(code_at(i), BUSY) == 0)
            snprintf(busy_value, sizeof busy_value, "v%zu", i), pv[2] = busy_value;
    run_expect(fx.cluster, pk, pv, 3);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), maps); /* an ASK changes no map */
    /* a multi-key command with the keys split over both nodes gets TRYAGAIN
     * until the move is done: each redo refreshes, then the handle gives up */
    const char *exists[] = {"EXISTS", key, "dfa:{p:" BUSY "}:new"};
    assert_int_equal(dfa_cluster_call(fx.cluster, exists, 3, 1, &r, &err), DFA_ERR_IO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "TRYAGAIN"));
    assert_non_null(strstr(err.msg, "after 5 redirections"));
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), maps + DFA_CLUSTER_REDIRECTS_MAX);
    maps = dfa_cluster_refreshes(fx.cluster);
    assert_int_equal(count_in_slot(src, slot), DAYS + 2); /* the days, test_map_routes' horizon, test_run_pipeline's key */
    assert_int_equal(count_in_slot(dst, slot), 1);

    /* the move completed, keys and all, by the script the operators run */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --move %u %s %s:%d >/dev/null", getenv("DFA_CLUSTER_BALANCE"), (unsigned)slot, to_id,
             fx.seed_host, fx.seed_port);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(count_in_slot(src, slot), 0);
    assert_int_equal(count_in_slot(dst, slot), DAYS + 3);

    /* the stale route gets MOVED naming the new master */
    const char *hget[] = {"HGET", key, "_events@" BUSY};
    assert_int_equal(dfa_redis_call(stale, hget, 3, &r, &err), DFA_OK);
    expect_error_reply(r, DFA_CLUSTER_MOVED, slot, to_port);
    assert_int_equal(dfa_cluster_master_for_slot(fx.cluster, slot)->port, from_port); /* the map is stale */
    /* the handle follows it: one refresh, the redo answers, the map is new */
    call_expect("1", hget, 3, 1);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), maps + 1);
    assert_int_equal(dfa_cluster_master_for_slot(fx.cluster, slot)->port, to_port);
    assert_int_equal(busy_sum(), DAYS * (DAYS + 1) / 2);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), maps + 1);
    /* a pipeline on the stale map: the MOVED command is redone on the new master, the map read again */
    assert_int_equal(dfa_cluster_master_for_slot(other, slot)->port, from_port);
    run_expect(other, pk, pv, 3);
    assert_int_equal(dfa_cluster_master_for_slot(other, slot)->port, to_port);
    dfa_cluster_free(other);
    redisFree(src);
    redisFree(dst);
}

/* A pipeline over every province's slot, so over every master: one
 * round trip, the replies in the order of the commands. */
static void test_run_pipeline(void **state)
{
    (void)state;
    char keys[64][DFA_KEY_MAX], values[64][16];
    const char *k[64], *v[64];
    size_t n = provinces();
    for (size_t i = 0; i < n; i++) {
        dfa_key_province(keys[i], sizeof keys[i], code_at(i), "runtest");
        snprintf(values[i], sizeof values[i], "v%zu", i);
        const char *set[] = {"SET", keys[i], values[i]};
        call_expect("OK", set, 3, 1);
        k[i] = keys[i], v[i] = values[i];
    }
    uint64_t trips = dfa_cluster_round_trips(fx.cluster);
    run_expect(fx.cluster, k, v, n);
    assert_int_equal(dfa_cluster_round_trips(fx.cluster), trips + 1);
    /* a command that names no key cannot be routed */
    dfa_resp *b = dfa_resp_new();
    const char *ping[] = {"PING"};
    dfa_resp_argv(b, ping, 1);
    redisReply *r[1];
    dfa_error err = {0};
    assert_int_equal(dfa_cluster_run(fx.cluster, b, r, &err), DFA_ERR_LIMIT);
    assert_string_equal(err.msg, "redis cluster: command 1 of a pipeline names no key");
    assert_null(r[0]);
    dfa_resp_free(b);
}

/* ---- a master killed -9, its replica promoted ---- */

static pid_t pid_of_port(int port)
{
    const char *pids = getenv("DFA_CLUSTER_PIDS");
    assert_non_null(pids);
    int p, pid, used;
    while (sscanf(pids, " %d:%d%n", &p, &pid, &used) == 2) {
        if (p == port)
            return (pid_t)pid;
        pids += used;
    }
    fail_msg("no pid for port %d in DFA_CLUSTER_PIDS", port);
    return 0;
}

/* The port of the master's one replica, from the master itself (ROLE). */
static int replica_port(int master_port)
{
    redisContext *ctx = probe("127.0.0.1", master_port);
    redisReply *r = ask(ctx, "ROLE");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "master");
    assert_int_equal(r->element[2]->elements, 1);
    int port = atoi(r->element[2]->element[0]->element[1]->str);
    freeReplyObject(r);
    redisFree(ctx);
    return port;
}

/* Until the killed process is gone (a zombie: its parent, the driver, reaps
 * it at the end), so nothing of it can answer any more. */
static void wait_dead(pid_t pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(path, "r");
        if (!f)
            return;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *after = strrchr(stat, ')');
        if (after && after[1] == ' ' && after[2] == 'Z')
            return;
        sleep_ms(20);
    }
    fail_msg("process %d still runs after SIGKILL", (int)pid);
}

static bool cluster_ok(int port)
{
    redisContext *ctx = redisConnect("127.0.0.1", port);
    redisReply *r = ctx && !ctx->err ? redisCommand(ctx, "CLUSTER INFO") : NULL;
    bool ok = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok");
    freeReplyObject(r);
    redisFree(ctx);
    return ok;
}

static void test_failover(void **state)
{
    (void)state;
    dfa_error err = {0};
    char key[DFA_KEY_MAX];
    assert_true(dfa_key_province(key, sizeof key, FAILED, "horizon"));
    uint16_t slot = dfa_cluster_slot(key, strlen(key));
    const dfa_cluster_master *m = dfa_cluster_master_for_slot(fx.cluster, slot);
    int dead = m->port, heir = replica_port(dead);
    const char *set[] = {"SET", key, "2016"};
    call_expect("OK", set, 3, 1);
    const char *wait[] = {"WAIT", "1", "5000"}; /* the replica has it before its master dies */
    redisReply *r = NULL;
    assert_int_equal(dfa_redis_call(m->redis, wait, 3, &r, &err), DFA_OK);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);

    pid_t pid = pid_of_port(dead);
    assert_int_equal(kill(pid, SIGKILL), 0);
    wait_dead(pid);
    /* the stale map still names the dead master: a connection error, given
     * back (the command may have run), not redone */
    const char *get[] = {"GET", key};
    uint64_t maps = dfa_cluster_refreshes(fx.cluster);
    assert_int_equal(dfa_cluster_call(fx.cluster, get, 2, 1, &r, &err), DFA_ERR_IO);
    assert_null(r);
    assert_int_equal(dfa_cluster_refreshes(fx.cluster), maps + 1); /* the map was read again for the next call */
    /* the replica takes over after cluster-node-timeout (2 s) and an election */
    const dfa_cluster_master *now = NULL;
    for (int i = 0; i < 100; i++) {
        (void)dfa_cluster_refresh(fx.cluster, &err);
        now = dfa_cluster_master_for_slot(fx.cluster, slot);
        if (now && now->port != dead)
            break;
        sleep_ms(200);
    }
    assert_non_null(now);
    assert_int_equal(now->port, heir);
    assert_int_equal(now->replicas, 0); /* its old master is dead */
    assert_int_equal(dfa_cluster_master_count(fx.cluster), 3);
    for (size_t i = 0; i < 3; i++)
        if (dfa_cluster_master_at(fx.cluster, i) != now)
            assert_int_equal(dfa_cluster_master_at(fx.cluster, i)->replicas, 1);
    for (int i = 0; i < 100 && !cluster_ok(heir); i++)
        sleep_ms(100);
    call_expect("2016", get, 2, 1);
    const char *set_again[] = {"SET", key, "2017"};
    call_expect("OK", set_again, 3, 1);
    call_expect("2017", get, 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_check_value),
        cmocka_unit_test(test_slots_match_server),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_map_routes),
        cmocka_unit_test(test_masters_scan_and_wait),
        cmocka_unit_test(test_run_pipeline),
        cmocka_unit_test(test_slot_moved),
        cmocka_unit_test(test_failover),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
