/* The batch against a real redis-server (started by cli/test_applier.sh): it
 * hands back every source it was given, in order, with the outcome, code and
 * reason each message settled with; what is taken while a batch is in flight
 * waits for the next; forget drops what it is told and keeps the rest. */
#include "test_support.h"

#include <hiredis/hiredis.h>

#include "dfa_batch.h"
#include "dfa_config.h"
#include "dfa_redis.h"

extern char **environ;

#define EVENT(id, province)                                                                                         \
    "{\"event_id\":\"" id "\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T03:00:00Z\",\"province\":\"" \
    province "\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"topic\":\"protocol\",\"participants\":3}}"

typedef struct {
    dfa_core *core;
    dfa_config *cfg;
    dfa_redis *redis;
    dfa_applier *applier;
    dfa_batch *batch;
    int given_back[8]; /* which sources came back, in order */
    size_t n_given;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dfa_error err = {0};
    if (open_core((void **)&f->core) != 0 || !(f->cfg = dfa_config_new()) ||
        dfa_config_load_env(f->cfg, environ, &err) != DFA_OK || dfa_redis_new(f->cfg, &f->redis, &err) != DFA_OK ||
        dfa_applier_new(f->redis, f->core, 10000, 10, &f->applier, &err) != DFA_OK ||
        dfa_batch_new(f->applier, f->core, &f->batch, &err) != DFA_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    redisContext *probe = redisConnect("127.0.0.1", (int)dfa_config_int(f->cfg, "redis.port"));
    freeReplyObject(redisCommand(probe, "FLUSHALL"));
    redisFree(probe);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dfa_batch_free(f->batch);
    dfa_applier_free(f->applier);
    dfa_redis_free(f->redis);
    dfa_config_free(f->cfg);
    dfa_core_free(f->core);
    free(f);
    return 0;
}

static int sources[8] = {0, 1, 2, 3, 4, 5, 6, 7};

static void take(fixture *f, const char *json, int64_t offset, int source)
{
    dfa_message m = {0, offset, -1, json, strlen(json), &sources[source]};
    dfa_error err = {0};
    if (dfa_batch_take(f->batch, &m, &err) != DFA_OK)
        fail_msg("%s", err.msg);
}

static void give_back(void *ctx, void *source)
{
    fixture *f = ctx;
    f->given_back[f->n_given++] = *(int *)source;
}

static bool drop_even(void *ctx, void *source)
{
    fixture *f = ctx;
    if (*(int *)source % 2)
        return false;
    f->given_back[f->n_given++] = *(int *)source;
    return true;
}

static void test_settles_and_gives_back_in_order(void **state)
{
    fixture *f = *state;
    dfa_error err = {0};
    take(f, EVENT("a", "01"), 0, 0);
    take(f, "{not json", 1, 1);
    take(f, EVENT("a", "01"), 2, 2); /* a duplicate of the first */
    assert_int_equal(dfa_batch_waiting(f->batch), 3);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK);
    assert_true(dfa_batch_in_flight(f->batch));
    take(f, EVENT("b", "01"), 3, 3); /* while Redis works: waits for the next batch */
    assert_int_equal(dfa_batch_waiting(f->batch), 1);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK); /* nothing: one is in flight */
    assert_int_equal(dfa_batch_finish(f->batch, &err), DFA_OK);
    assert_int_equal(dfa_batch_settled(f->batch), 3);
    assert_int_equal(dfa_batch_item_at(f->batch, 0)->outcome, DFA_OUTCOME_COUNTED);
    assert_null(dfa_batch_item_at(f->batch, 0)->code);
    assert_int_equal(dfa_batch_item_at(f->batch, 1)->outcome, DFA_OUTCOME_DEAD_LETTER);
    assert_string_equal(dfa_batch_item_at(f->batch, 1)->code, "json");
    assert_int_equal(dfa_batch_item_at(f->batch, 2)->outcome, DFA_OUTCOME_DUPLICATE);
    assert_ptr_equal(dfa_batch_source_at(f->batch, 1), &sources[1]);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK); /* nothing: settled ones wait for release */
    assert_false(dfa_batch_in_flight(f->batch));
    dfa_batch_release(f->batch, give_back, f);
    assert_int_equal(f->n_given, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->given_back[i], i);
    assert_int_equal(dfa_batch_held(f->batch), 1);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK);
    assert_int_equal(dfa_batch_finish(f->batch, &err), DFA_OK);
    assert_int_equal(dfa_batch_item_at(f->batch, 0)->outcome, DFA_OUTCOME_COUNTED); /* b, staged during the flight */
    dfa_batch_release(f->batch, give_back, f);
    assert_int_equal(f->given_back[3], 3);
    assert_int_equal(dfa_batch_held(f->batch), 0);
}

static void test_forget_drops_what_it_is_told(void **state)
{
    fixture *f = *state;
    dfa_error err = {0};
    f->n_given = 0;
    take(f, EVENT("c", "01"), 4, 4);
    take(f, EVENT("d", "01"), 5, 5);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK);
    assert_int_equal(dfa_batch_finish(f->batch, &err), DFA_OK);
    take(f, EVENT("e", "01"), 6, 6);
    take(f, EVENT("f", "01"), 7, 7);
    dfa_batch_forget(f->batch, drop_even, f); /* settled 4 and waiting 6 go */
    assert_int_equal(f->n_given, 2);
    assert_int_equal(f->given_back[0], 4);
    assert_int_equal(f->given_back[1], 6);
    assert_int_equal(dfa_batch_settled(f->batch), 1);
    assert_ptr_equal(dfa_batch_source_at(f->batch, 0), &sources[5]);
    assert_int_equal(dfa_batch_waiting(f->batch), 1);
    dfa_batch_release(f->batch, give_back, f);
    assert_int_equal(dfa_batch_begin(f->batch, "t", &err), DFA_OK);
    assert_int_equal(dfa_batch_finish(f->batch, &err), DFA_OK);
    assert_ptr_equal(dfa_batch_source_at(f->batch, 0), &sources[7]);
    assert_int_equal(dfa_batch_item_at(f->batch, 0)->outcome, DFA_OUTCOME_COUNTED);
    dfa_batch_release(f->batch, give_back, f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settles_and_gives_back_in_order),
        cmocka_unit_test(test_forget_drops_what_it_is_told),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
