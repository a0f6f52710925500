/* The applier against a real redis-server (started by cli/test_applier.sh,
 * port in DFA_REDIS_PORT): a concurrent writer between the state read and
 * EXEC, retractions and duplicates across batches, replays, a batch whose
 * items array moves between begin and finish, staging ahead of begin, and a
 * damaged key. Every counter is checked by
 * value. */
#include "test_support.h"

#include <hiredis/hiredis.h>
#include <time.h>

#include "dfa_applier.h"
#include "dfa_config.h"
#include "dfa_event.h"
#include "dfa_redis.h"

extern char **environ;

#define TOPIC "dfa.events"
#define MONTH_91 "dfa:{p:91}:c:M2024-05"

#define DELEGATION(id, op, province)                                                                              \
    "{\"event_id\":\"" id "\"," op "\"type\":\"delegation.out.approved\",\"occurred_at\":\"2024-05-10T07:00:00Z\"," \
    "\"province\":\"" province "\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,"                     \
    "\"data\":{\"level\":\"provincial_leaders\",\"members\":5,\"countries\":[\"JP\",\"KR\"],\"in_plan\":true}}"
#define RETRACT(id, ref) "\"op\":\"retract\",\"ref\":\"" ref "\","
/* The same delegation with 50 members instead of 5: a copy of other content. */
#define DELEGATION50(id, op, province)                                                                            \
    "{\"event_id\":\"" id "\"," op "\"type\":\"delegation.out.approved\",\"occurred_at\":\"2024-05-10T07:00:00Z\"," \
    "\"province\":\"" province "\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,"                     \
    "\"data\":{\"level\":\"provincial_leaders\",\"members\":50,\"countries\":[\"JP\",\"KR\"],\"in_plan\":true}}"
/* 10^15 VND (minor units), the most one event may carry, on 2025-03-01 in Hà Nội. */
#define BIG_AID(id)                                                                                                \
    "{\"event_id\":\"" id "\",\"type\":\"ngo.aid.pledged\",\"occurred_at\":\"2025-03-01T03:00:00Z\",\"province\":\"01\"," \
    "\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{\"donor_id\":\"d1\",\"form\":\"project\","    \
    "\"sector\":\"health\",\"value\":{\"amount\":1000000000000000,\"currency\":\"VND\"}}}"
#define AID_DAY "dfa:{p:01}:c:D2025-03-01"
#define AID_MONTH "dfa:{p:01}:c:M2025-03"
#define AID_ROW "ngo_aid_pledged|cur=VND@01"
#define DAY_MS (86400LL * 1000)

typedef struct {
    dfa_core *core;
    dfa_config *cfg;
    redisContext *probe; /* a connection of the test's own, to read and flush */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dfa_error err = {0};
    if (open_core((void **)&f->core) != 0)
        return -1;
    f->cfg = dfa_config_new();
    if (!f->cfg || dfa_config_load_env(f->cfg, environ, &err) != DFA_OK) {
        fprintf(stderr, "config: %s\n", err.msg);
        return -1;
    }
    f->probe = redisConnect("127.0.0.1", (int)dfa_config_int(f->cfg, "redis.port"));
    if (!f->probe || f->probe->err) {
        fprintf(stderr, "cannot reach redis on port %lld (set DFA_REDIS_PORT)\n", (long long)dfa_config_int(f->cfg, "redis.port"));
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    redisFree(f->probe);
    dfa_config_free(f->cfg);
    dfa_core_free(f->core);
    free(f);
    return 0;
}

static int flush(void **state)
{
    fixture *f = *state;
    freeReplyObject(redisCommand(f->probe, "FLUSHALL"));
    return 0;
}

/* The field's value as Redis holds it; "absent" when there is none. */
static const char *field(fixture *f, const char *key, const char *name, char *buf, size_t cap)
{
    redisReply *r = redisCommand(f->probe, "HGET %s %s", key, name);
    snprintf(buf, cap, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "absent");
    freeReplyObject(r);
    return buf;
}

#define assert_field(f, key, name, want)                                   \
    do {                                                                   \
        char buf_[64];                                                     \
        assert_string_equal(field(f, key, name, buf_, sizeof buf_), want); \
    } while (0)

/* A string key's value, or "absent". */
static void assert_value(fixture *f, const char *key, const char *want)
{
    redisReply *r = redisCommand(f->probe, "GET %s", key);
    assert_string_equal(r && r->type == REDIS_REPLY_STRING ? r->str : "absent", want);
    freeReplyObject(r);
}

typedef struct {
    dfa_redis *redis;
    dfa_applier *applier;
} writer;

static writer open_writer_keys(fixture *f, size_t max_keys)
{
    writer w = {0};
    dfa_error err = {0};
    if (dfa_redis_new(f->cfg, &w.redis, &err) != DFA_OK ||
        dfa_applier_new(w.redis, f->core, max_keys, 10, &w.applier, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    return w;
}

static writer open_writer(fixture *f) { return open_writer_keys(f, 10000); }

static void close_writer(writer *w)
{
    dfa_applier_free(w->applier);
    dfa_redis_free(w->redis);
}

/* items[i] from json[i], on partition 0 from offset `first`. */
static dfa_batch_item *make_items(fixture *f, const char *const *json, size_t n, int64_t first)
{
    dfa_batch_item *items = calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        dfa_error err = {0};
        items[i] = (dfa_batch_item){.partition = 0, .offset = first + (int64_t)i};
        if (dfa_event_parse(f->core, json[i], strlen(json[i]), &items[i].event, &err) != DFA_OK)
            fail_msg("%s: %s", json[i], err.msg);
    }
    return items;
}

static void free_items(dfa_batch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dfa_event_free(items[i].event);
    free(items);
}

static void apply(writer *w, dfa_batch_item *items, size_t n)
{
    size_t done = 0;
    dfa_error err = {0};
    if (dfa_applier_apply(w->applier, TOPIC, items, n, &done, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(done, n);
}

static const char *const batch[] = {DELEGATION("e1", "", "Kiên Giang"), DELEGATION("e2", "", "Kiên Giang"),
                                    DELEGATION("e3", "", "Hà Nội")};

/* Another consumer applies the same messages between our read and our EXEC. */
typedef struct {
    fixture *f;
    int calls;
} intruder;

static void apply_the_same_first(void *ctx)
{
    intruder *in = ctx;
    if (in->calls++ > 0)
        return;
    writer other = open_writer(in->f);
    dfa_batch_item *items = make_items(in->f, batch, 3, 0);
    apply(&other, items, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(items[i].outcome, DFA_OUTCOME_COUNTED);
    free_items(items, 3);
    close_writer(&other);
}

static void test_writer_between_read_and_exec(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    intruder in = {f, 0};
    dfa_applier_set_before_send(w.applier, apply_the_same_first, &in);
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    apply(&w, items, 3);
    assert_int_equal(in.calls, 2); /* refused once, read again, sent again */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(items[i].outcome, DFA_OUTCOME_REPLAYED);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
    assert_field(f, in_part(MONTH_91, "delegation_out_members@91x"), "delegation_out_members@91x", "10");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    assert_field(f, "dfa:{p:91}:off", TOPIC ":0", "1"); /* the last offset of each province */
    assert_field(f, "dfa:{p:01}:off", TOPIC ":0", "2");
    free_items(items, 3);
    close_writer(&w);
}

/* Another consumer applies only Hà Nội's message between our read and our
 * EXECs: Hà Nội's transaction is refused and that province alone is read
 * and decided again (its event now replayed); Kiên Giang's went in at once. */
static void apply_hanoi_first(void *ctx)
{
    intruder *in = ctx;
    if (in->calls++ > 0) { /* before the redo: Kiên Giang's transaction went in already */
        assert_field(in->f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
        return;
    }
    writer other = open_writer(in->f);
    dfa_batch_item *items = make_items(in->f, batch, 3, 0);
    apply(&other, items + 2, 1);
    assert_int_equal(items[2].outcome, DFA_OUTCOME_COUNTED);
    free_items(items, 3);
    close_writer(&other);
}

static void test_one_province_refused(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    intruder in = {f, 0};
    dfa_applier_set_before_send(w.applier, apply_hanoi_first, &in);
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    uint64_t trips = dfa_applier_round_trips(w.applier);
    apply(&w, items, 3);
    assert_int_equal(in.calls, 2);
    assert_int_equal(items[0].outcome, DFA_OUTCOME_COUNTED);
    assert_int_equal(items[1].outcome, DFA_OUTCOME_COUNTED);
    assert_int_equal(items[2].outcome, DFA_OUTCOME_REPLAYED);
    assert_int_equal(dfa_applier_round_trips(w.applier) - trips, 4); /* read, write; then Hà Nội's again */
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    assert_field(f, "dfa:{p:91}:off", TOPIC ":0", "1");
    assert_field(f, "dfa:{p:01}:off", TOPIC ":0", "2");
    free_items(items, 3);
    close_writer(&w);
}

static void test_retraction_and_duplicate_in_later_batches(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    const char *const first[] = {DELEGATION("e1", "", "Kiên Giang")};
    const char *const second[] = {DELEGATION("r1", RETRACT("r1", "e1"), "Kiên Giang"), DELEGATION("e1", "", "Kiên Giang")};
    dfa_batch_item *a = make_items(f, first, 1, 0), *b = make_items(f, second, 2, 1);
    apply(&w, a, 1);
    assert_int_equal(a[0].outcome, DFA_OUTCOME_COUNTED);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "1");
    apply(&w, b, 2);
    assert_int_equal(b[0].outcome, DFA_OUTCOME_RETRACTED);
    assert_int_equal(b[1].outcome, DFA_OUTCOME_DUPLICATE);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "0"); /* back to 0, left as 0 */
    apply(&w, a, 1); /* the first batch again, as after a crash before its commit */
    assert_int_equal(a[0].outcome, DFA_OUTCOME_REPLAYED);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "0");
    free_items(a, 1);
    free_items(b, 2);
    close_writer(&w);
}

static void test_items_move_between_begin_and_finish(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    dfa_error err = {0};
    assert_int_equal(dfa_applier_begin(w.applier, TOPIC, items, 3, &err), DFA_OK);
    dfa_batch_item *moved = malloc(3 * sizeof *moved); /* as a consumer's realloc would */
    memcpy(moved, items, 3 * sizeof *moved);
    memset(items, 0xA5, 3 * sizeof *items);
    free(items);
    size_t done = 0;
    assert_int_equal(dfa_applier_finish(w.applier, moved, &done, &err), DFA_OK);
    assert_int_equal(done, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(moved[i].outcome, DFA_OUTCOME_COUNTED);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    assert_int_equal(dfa_applier_finish(w.applier, moved, &done, &err), DFA_ERR_IO); /* nothing in flight */
    assert_string_equal(err.msg, "apply: no batch in flight");
    free_items(moved, 3);
    close_writer(&w);
}

/* Staged ahead of begin (part of it: begin stages the rest), a batch with a
 * duplicate, a retraction and a retraction of nothing counts exactly as it
 * would unstaged: what does not count is taken back out. */
static void test_staged_batch_counts_what_counts(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    const char *const json[] = {DELEGATION("e1", "", "Kiên Giang"), DELEGATION("e2", "", "Kiên Giang"),
                                DELEGATION("e1", "", "Kiên Giang"), DELEGATION("r1", RETRACT("r1", "e2"), "Kiên Giang"),
                                DELEGATION("r9", RETRACT("r9", "e9"), "Kiên Giang")};
    dfa_batch_item *items = make_items(f, json, 5, 0);
    dfa_error err = {0};
    assert_int_equal(dfa_applier_stage(w.applier, items, 3, &err), DFA_OK);
    assert_int_equal(dfa_applier_begin(w.applier, TOPIC, items, 5, &err), DFA_OK);
    assert_int_equal(dfa_applier_taken(w.applier), 5);
    size_t done = 0;
    assert_int_equal(dfa_applier_finish(w.applier, items, &done, &err), DFA_OK);
    assert_int_equal(done, 5);
    const dfa_outcome want[] = {DFA_OUTCOME_COUNTED, DFA_OUTCOME_COUNTED, DFA_OUTCOME_DUPLICATE, DFA_OUTCOME_RETRACTED,
                                DFA_OUTCOME_TOMBSTONE};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(items[i].outcome, want[i]);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "1");
    assert_field(f, in_part(MONTH_91, "delegation_out_members@91x"), "delegation_out_members@91x", "5");
    assert_field(f, in_part(MONTH_91, "delegations_out|countries=JP@91x"), "delegations_out|countries=JP@91x", "1");
    assert_field(f, "dfa:{p:91}:d:M2024-05:partner_countries@91x", "KR", "1"); /* e1's; e2's taken back */
    free_items(items, 5);
    close_writer(&w);
}

/* Staging stops where the counters would pass max_keys: the next batch is
 * only what fitted, and the rest goes in the one after, staged by begin. */
static void test_staging_stops_at_max_keys(void **state)
{
    fixture *f = *state;
    writer w = open_writer_keys(f, 30); /* one delegation is 20 counters; two of different provinces are 40 */
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    dfa_error err = {0};
    assert_int_equal(dfa_applier_stage(w.applier, items, 3, &err), DFA_OK);
    assert_int_equal(dfa_applier_begin(w.applier, TOPIC, items, 3, &err), DFA_OK);
    assert_int_equal(dfa_applier_taken(w.applier), 2); /* e1 and e2 share their counters; e3 is Hà Nội */
    size_t done = 0;
    assert_int_equal(dfa_applier_finish(w.applier, items, &done, &err), DFA_OK);
    assert_int_equal(done, 2);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "absent");
    assert_int_equal(dfa_applier_begin(w.applier, TOPIC, items + 2, 1, &err), DFA_OK);
    assert_int_equal(dfa_applier_finish(w.applier, items + 2, &done, &err), DFA_OK);
    assert_int_equal(done, 1);
    assert_int_equal(items[2].outcome, DFA_OUTCOME_COUNTED);
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    free_items(items, 3);
    close_writer(&w);
}

/* Damages a key of 91 with `damage`, applies the batch, and expects 91 to
 * be stopped with the error `want`: nothing of 91 written, not even the day
 * bucket or the markers; 01 applied. */
static void expect_stopped(fixture *f, writer *w, dfa_batch_item *items, const char *damage, const char *want)
{
    freeReplyObject(redisCommand(f->probe, damage));
    size_t done = 0;
    dfa_error err = {0};
    assert_int_equal(dfa_applier_apply(w->applier, TOPIC, items, 3, &done, &err), DFA_ERR_IO);
    assert_int_equal(done, 0);
    assert_string_equal(err.msg, want);
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    assert_field(f, "dfa:{p:91}:c:D2024-05-10", "_events@91x", "absent");
    assert_field(f, "dfa:{p:91}:off", TOPIC ":0", "absent");
    assert_field(f, "dfa:{p:91}:e:D2024-05-10", "e1", "absent");
}

/* A key of the wrong type, or a counter field that holds no integer (damaged
 * by hand), is found in the read: its province stops with an error naming the
 * key. Once the key is repaired the same batch applies whole, the other
 * province's part as a replay. */
static void test_damaged_key_stops_its_province(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    expect_stopped(f, &w, items, "SET " MONTH_91 ":6 damaged", /* the part of _events@91x */
                   "province 91 stopped, nothing of it applied: key dfa:{p:91}:c:M2024-05:6: WRONGTYPE Operation "
                   "against a key holding the wrong kind of value");
    freeReplyObject(redisCommand(f->probe, "DEL %s:6", MONTH_91));
    expect_stopped(f, &w, items, "HSET " MONTH_91 ":6 _events@91x 1.5",
                   "province 91 stopped, nothing of it applied: key dfa:{p:91}:c:M2024-05:6: field _events@91x holds "
                   "1.5, not a 64-bit integer");
    freeReplyObject(redisCommand(f->probe, "DEL %s:6", MONTH_91));
    size_t done = 0;
    dfa_error err = {0};
    assert_int_equal(dfa_applier_apply(w.applier, TOPIC, items, 3, &done, &err), DFA_OK);
    assert_int_equal(items[0].outcome, DFA_OUTCOME_COUNTED);
    assert_int_equal(items[2].outcome, DFA_OUTCOME_REPLAYED);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "2");
    assert_field(f, "dfa:{p:91}:c:D2024-05-10", "_events@91x", "2");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "1");
    free_items(items, 3);
    close_writer(&w);
}

/* The reported case: 9,300 events of 10^15 VND for one province and day.
 * 2^63 - 1 = 9,223,372,036,854,775,807, so 9,223 of them fit a counter and
 * the other 77 are dead-lettered (counter_overflow) with nothing of them
 * counted: the totals below are that arithmetic, not the code's. */
static void test_overflow_is_dead_lettered(void **state)
{
    fixture *f = *state;
    writer w = open_writer_keys(f, 200000);
    enum { N = 9300, FIT = 9223 };
    char (*json)[700] = calloc(N, sizeof *json);
    const char **texts = calloc(N, sizeof *texts);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "big-%d", i);
        snprintf(json[i], sizeof json[i], BIG_AID("%s"), id);
        texts[i] = json[i];
    }
    dfa_batch_item *items = make_items(f, texts, N, 0);
    size_t counted = 0, overflowed = 0;
    for (size_t from = 0; from < N;) {
        size_t done = 0;
        dfa_error err = {0};
        if (dfa_applier_apply(w.applier, TOPIC, items + from, N - from, &done, &err) != DFA_OK)
            fail_msg("%s", err.msg);
        assert_true(done > 0);
        from += done;
    }
    for (size_t i = 0; i < N; i++) {
        counted += items[i].outcome == DFA_OUTCOME_COUNTED;
        if (items[i].outcome == DFA_OUTCOME_DEAD_LETTER) {
            overflowed++;
            assert_string_equal(items[i].code, "counter_overflow");
        }
    }
    assert_int_equal(counted, FIT);
    assert_int_equal(overflowed, N - FIT);
    assert_string_equal(items[FIT].reason, "counter dfa:{p:01}:c:D2025-03-01 field ngo_aid_pledged|cur=VND@01 would "
                                           "leave the 64-bit range with this event");
    assert_field(f, AID_DAY, AID_ROW, "9223000000000000000");
    assert_field(f, in_part(AID_MONTH, AID_ROW), AID_ROW, "9223000000000000000");
    assert_field(f, in_part(AID_MONTH, "_events@01"), "_events@01", "9223");
    assert_field(f, "dfa:{p:01}:e:D2025-03-01", "big-9299", "absent"); /* not remembered: it never counted */
    free_items(items, N);
    free(texts);
    free(json);
    close_writer(&w);
}

/* Inside one batch: the counter already holds 2^63 - 1.5 * 10^15, so the
 * first event fits and the second and third do not; a retraction of the
 * first, later in the same batch, makes room for the third. */
static void test_overflow_inside_a_batch(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    freeReplyObject(redisCommand(f->probe, "HSET %s %s 9221872036854775807", AID_DAY, AID_ROW));
    const char *const json[] = {BIG_AID("b1"), BIG_AID("b2"),
                                "{\"event_id\":\"rb1\",\"op\":\"retract\",\"ref\":\"b1\",\"type\":\"ngo.aid.pledged\","
                                "\"occurred_at\":\"2025-03-01T03:00:00Z\",\"province\":\"01\",\"reporter\":"
                                "\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{\"donor_id\":\"d1\",\"form\":"
                                "\"project\",\"sector\":\"health\",\"value\":{\"amount\":1000000000000000,\"currency\":"
                                "\"VND\"}}}",
                                BIG_AID("b3")};
    dfa_batch_item *items = make_items(f, json, 4, 0);
    apply(&w, items, 4);
    const dfa_outcome want[] = {DFA_OUTCOME_COUNTED, DFA_OUTCOME_DEAD_LETTER, DFA_OUTCOME_RETRACTED, DFA_OUTCOME_COUNTED};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(items[i].outcome, want[i]);
    assert_string_equal(items[1].code, "counter_overflow");
    assert_field(f, AID_DAY, AID_ROW, "9222872036854775807"); /* + b1 - b1 + b3 */
    assert_field(f, in_part(AID_MONTH, AID_ROW), AID_ROW, "1000000000000000");
    free_items(items, 4);
    close_writer(&w);
}

/* Outcomes of applying json in order, one batch per event. */
static void apply_each(fixture *f, writer *w, const char *const *json, size_t n, int64_t first_offset,
                       dfa_batch_item **out)
{
    *out = make_items(f, json, n, first_offset);
    for (size_t i = 0; i < n; i++)
        apply(w, *out + i, 1);
}

/* A retraction whose copy is wrong cancels nothing, whichever comes first:
 * after the event it is dead-lettered; before it, it waits, and the event
 * counts when it comes with a notice (retraction_mismatch) naming it. A
 * faithful retraction that came first cancels its event. */
static void test_tombstone_keeps_its_copy(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    const char *const after[] = {DELEGATION50("hn-1", "", "Hà Nội"), DELEGATION("x1", RETRACT("x1", "hn-1"), "Hà Nội")};
    const char *const before[] = {DELEGATION("x2", RETRACT("x2", "hn-2"), "Hà Nội"), DELEGATION50("hn-2", "", "Hà Nội")};
    const char *const faithful[] = {DELEGATION50("x3", RETRACT("x3", "hn-3"), "Hà Nội"), DELEGATION50("hn-3", "", "Hà Nội")};
    dfa_batch_item *a, *b, *c;
    apply_each(f, &w, after, 2, 0, &a);
    assert_int_equal(a[1].outcome, DFA_OUTCOME_DEAD_LETTER);
    assert_string_equal(a[1].code, "retraction_mismatch");
    apply_each(f, &w, before, 2, 2, &b);
    assert_int_equal(b[0].outcome, DFA_OUTCOME_TOMBSTONE);
    assert_int_equal(b[1].outcome, DFA_OUTCOME_COUNTED);
    assert_string_equal(b[1].code, "retraction_mismatch");
    assert_string_equal(b[1].reason, "retraction x2 came before this event with a copy of other content (type, "
                                     "province, time or data differ): it cancels nothing");
    apply_each(f, &w, faithful, 2, 4, &c);
    assert_int_equal(c[0].outcome, DFA_OUTCOME_TOMBSTONE);
    assert_int_equal(c[1].outcome, DFA_OUTCOME_CANCELLED);
    assert_null(c[1].code);
    /* hn-1 and hn-2 count, 50 members each; hn-3 was cancelled */
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "_events@01"), "_events@01", "2");
    assert_field(f, in_part("dfa:{p:01}:c:M2024-05", "delegation_out_members@01"), "delegation_out_members@01", "100");
    free_items(a, 2);
    free_items(b, 2);
    free_items(c, 2);
    close_writer(&w);
}

/* What is remembered is kept by the event's date, not by arrival: a
 * correction a year later, and a re-import of the year's export, are exact. */
static void test_late_correction_and_reimport(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000;
    const char *const first[] = {DELEGATION("e1", "", "Kiên Giang"), DELEGATION("e2", "", "Kiên Giang")};
    const char *const later[] = {DELEGATION("e2", "", "Kiên Giang"), DELEGATION("r1", RETRACT("r1", "e1"), "Kiên Giang"),
                                 DELEGATION("e1", "", "Kiên Giang")};
    dfa_batch_item *a = make_items(f, first, 2, 0), *b = make_items(f, later, 3, 2);
    for (size_t i = 0; i < 2; i++)
        a[i].timestamp_ms = now_ms - 400 * DAY_MS;
    apply(&w, a, 2);
    for (size_t i = 0; i < 3; i++)
        b[i].timestamp_ms = now_ms;
    apply(&w, b, 3);
    const dfa_outcome want[] = {DFA_OUTCOME_DUPLICATE, DFA_OUTCOME_RETRACTED, DFA_OUTCOME_DUPLICATE};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(b[i].outcome, want[i]);
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "1");
    assert_field(f, in_part(MONTH_91, "delegation_out_members@91x"), "delegation_out_members@91x", "5");
    free_items(a, 2);
    free_items(b, 3);
    close_writer(&w);
}

/* Horizon 10 years: with a message of 2026, events from 2016-01-01 count and
 * those of 2015 are dead-lettered; with a message of 2025, 2015 counts. */
static void test_horizon(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    const char *const json[] = {
        "{\"event_id\":\"old\",\"type\":\"delegation.out.approved\",\"occurred_at\":\"2015-12-31T16:59:59Z\",\"province\":"
        "\"01\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{\"level\":\"provincial_leaders\","
        "\"members\":5,\"countries\":[\"JP\"],\"in_plan\":true}}",
        "{\"event_id\":\"new\",\"type\":\"delegation.out.approved\",\"occurred_at\":\"2015-12-31T17:00:00Z\",\"province\":"
        "\"01\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{\"level\":\"provincial_leaders\","
        "\"members\":5,\"countries\":[\"JP\"],\"in_plan\":true}}"};
    const int64_t jan_2026 = 1767225600000LL, jun_2025 = 1750000000000LL; /* 2026-01-01T00:00Z, 2025-06-15 */
    dfa_batch_item *a = make_items(f, json, 2, 0), *b = make_items(f, json, 1, 2);
    a[0].timestamp_ms = a[1].timestamp_ms = jan_2026;
    apply(&w, a, 2);
    assert_int_equal(a[0].outcome, DFA_OUTCOME_DEAD_LETTER);
    assert_string_equal(a[0].code, "outside_horizon");
    assert_string_equal(a[0].reason, "occurred_at: before the restatement horizon, which starts on 2016-01-01");
    assert_int_equal(a[1].outcome, DFA_OUTCOME_COUNTED); /* 2016-01-01T00:00 in Vietnam */
    b[0].timestamp_ms = jun_2025;
    apply(&w, b, 1);
    assert_int_equal(b[0].outcome, DFA_OUTCOME_COUNTED);
    assert_field(f, in_part("dfa:{p:01}:c:M2015-12", "_events@01"), "_events@01", "1");
    assert_field(f, in_part("dfa:{p:01}:c:M2016-01", "_events@01"), "_events@01", "1");
    free_items(a, 2);
    free_items(b, 1);
    close_writer(&w);
}

/* Memory older than the horizon and its year of grace is deleted as the
 * messages' time moves on, two years per batch: nothing else is touched.
 * (Time cannot run ahead here: a timestamp from the future counts as now.
 * So Redis is made to say memory was last trimmed in 2012.) */
static void test_memory_is_trimmed(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    const char *const json[] = {DELEGATION("e1", "", "Kiên Giang")};
    const int64_t y2026 = 1767225600000LL;
    dfa_batch_item *a = make_items(f, json, 1, 0);
    a[0].timestamp_ms = y2026;
    apply(&w, a, 1);
    assert_value(f, "dfa:{p:91}:horizon", "2015"); /* 2026 - 10, less the year of grace */
    freeReplyObject(redisCommand(f->probe, "SET dfa:{p:91}:horizon 2012"));
    freeReplyObject(redisCommand(f->probe, "HSET dfa:{p:91}:e:D2012-06-01 gone c0000000000000000"));
    freeReplyObject(redisCommand(f->probe, "HSET dfa:{p:91}:e:D2013-12-31 gone c0000000000000000"));
    freeReplyObject(redisCommand(f->probe, "HSET dfa:{p:91}:e:D2014-01-01 kept c0000000000000000"));
    a[0].offset = 1;
    apply(&w, a, 1);
    assert_int_equal(a[0].outcome, DFA_OUTCOME_DUPLICATE);
    assert_value(f, "dfa:{p:91}:horizon", "2014"); /* two years in one batch */
    assert_field(f, "dfa:{p:91}:e:D2012-06-01", "gone", "absent");
    assert_field(f, "dfa:{p:91}:e:D2013-12-31", "gone", "absent");
    assert_field(f, "dfa:{p:91}:e:D2014-01-01", "kept", "c0000000000000000");
    a[0].offset = 2;
    apply(&w, a, 1);
    assert_value(f, "dfa:{p:91}:horizon", "2015");
    assert_field(f, "dfa:{p:91}:e:D2014-01-01", "kept", "absent");
    assert_field(f, in_part(MONTH_91, "_events@91x"), "_events@91x", "1");
    free_items(a, 1);
    close_writer(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_writer_between_read_and_exec, flush),
        cmocka_unit_test_setup(test_one_province_refused, flush),
        cmocka_unit_test_setup(test_retraction_and_duplicate_in_later_batches, flush),
        cmocka_unit_test_setup(test_items_move_between_begin_and_finish, flush),
        cmocka_unit_test_setup(test_staged_batch_counts_what_counts, flush),
        cmocka_unit_test_setup(test_staging_stops_at_max_keys, flush),
        cmocka_unit_test_setup(test_damaged_key_stops_its_province, flush),
        cmocka_unit_test_setup(test_overflow_is_dead_lettered, flush),
        cmocka_unit_test_setup(test_overflow_inside_a_batch, flush),
        cmocka_unit_test_setup(test_tombstone_keeps_its_copy, flush),
        cmocka_unit_test_setup(test_late_correction_and_reimport, flush),
        cmocka_unit_test_setup(test_horizon, flush),
        cmocka_unit_test_setup(test_memory_is_trimmed, flush),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
