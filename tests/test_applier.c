/* The applier against a real redis-server (started by cli/test_applier.sh,
 * port in DFA_REDIS_PORT): a concurrent writer between the state read and
 * EXEC, retractions and duplicates across batches, replays, a batch whose
 * items array moves between begin and finish, staging ahead of begin, and a
 * damaged key. Every counter is checked by
 * value. */
#include "test_support.h"

#include <hiredis/hiredis.h>

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

typedef struct {
    dfa_redis *redis;
    dfa_applier *applier;
} writer;

static writer open_writer_keys(fixture *f, size_t max_keys)
{
    writer w = {0};
    dfa_error err = {0};
    if (dfa_redis_new(f->cfg, &w.redis, &err) != DFA_OK ||
        dfa_applier_new(w.redis, f->core, max_keys, 35, &w.applier, &err) != DFA_OK)
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
    assert_field(f, MONTH_91, "_events@91x", "2");
    assert_field(f, MONTH_91, "delegation_out_members@91x", "10");
    assert_field(f, "dfa:{p:01}:c:M2024-05", "_events@01", "1");
    assert_field(f, "dfa:{p:91}:off", TOPIC ":0", "1"); /* the last offset of each province */
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
    assert_field(f, MONTH_91, "_events@91x", "1");
    apply(&w, b, 2);
    assert_int_equal(b[0].outcome, DFA_OUTCOME_RETRACTED);
    assert_int_equal(b[1].outcome, DFA_OUTCOME_DUPLICATE);
    assert_field(f, MONTH_91, "_events@91x", "0"); /* back to 0, left as 0 */
    apply(&w, a, 1); /* the first batch again, as after a crash before its commit */
    assert_int_equal(a[0].outcome, DFA_OUTCOME_REPLAYED);
    assert_field(f, MONTH_91, "_events@91x", "0");
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
    assert_field(f, MONTH_91, "_events@91x", "2");
    assert_field(f, "dfa:{p:01}:c:M2024-05", "_events@01", "1");
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
    assert_field(f, MONTH_91, "_events@91x", "1");
    assert_field(f, MONTH_91, "delegation_out_members@91x", "5");
    assert_field(f, MONTH_91, "delegations_out|countries=JP@91x", "1");
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
    assert_field(f, MONTH_91, "_events@91x", "2");
    assert_field(f, "dfa:{p:01}:c:M2024-05", "_events@01", "absent");
    assert_int_equal(dfa_applier_begin(w.applier, TOPIC, items + 2, 1, &err), DFA_OK);
    assert_int_equal(dfa_applier_finish(w.applier, items + 2, &done, &err), DFA_OK);
    assert_int_equal(done, 1);
    assert_int_equal(items[2].outcome, DFA_OUTCOME_COUNTED);
    assert_field(f, "dfa:{p:01}:c:M2024-05", "_events@01", "1");
    free_items(items, 3);
    close_writer(&w);
}

/* A key of the wrong type (damaged by hand) fails inside EXEC: the error
 * names the command, and the transaction's other commands are applied. */
static void test_damaged_key_is_reported(void **state)
{
    fixture *f = *state;
    writer w = open_writer(f);
    freeReplyObject(redisCommand(f->probe, "SET %s damaged", MONTH_91));
    dfa_batch_item *items = make_items(f, batch, 3, 0);
    size_t done = 0;
    dfa_error err = {0};
    assert_int_equal(dfa_applier_apply(w.applier, TOPIC, items, 3, &done, &err), DFA_ERR_IO);
    assert_int_equal(done, 0);
    /* after MULTI: 5 commands per province (ids, prints, months, markers, expiry) for 01 and 91, then
     * 91's counters in the order of its deltas: the day's _events, then the damaged month's */
    assert_string_equal(err.msg, "redis: apply: command 12 of the transaction: WRONGTYPE Operation against a key "
                                 "holding the wrong kind of value");
    assert_field(f, "dfa:{p:01}:c:M2024-05", "_events@01", "1");
    free_items(items, 3);
    close_writer(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_writer_between_read_and_exec, flush),
        cmocka_unit_test_setup(test_retraction_and_duplicate_in_later_batches, flush),
        cmocka_unit_test_setup(test_items_move_between_begin_and_finish, flush),
        cmocka_unit_test_setup(test_staged_batch_counts_what_counts, flush),
        cmocka_unit_test_setup(test_staging_stops_at_max_keys, flush),
        cmocka_unit_test_setup(test_damaged_key_is_reported, flush),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
