/* Event -> deltas -> accumulator: exact counters by hand for known events,
 * retractions that cancel exactly, and a randomized comparison with a naive
 * recomputation over thousands of events. */
#include "test_support.h"

#include "dfa_accum.h"
#include "dfa_delta.h"
#include "dfa_event.h"
#include "dfa_gen.h"

static dfa_event *parse(const dfa_core *core, const char *json)
{
    dfa_event *ev = NULL;
    dfa_error err = {0};
    if (dfa_event_parse(core, json, strlen(json), &ev, &err) != DFA_OK)
        fail_msg("%s: %s", json, err.msg);
    return ev;
}

static void add(const dfa_core *core, dfa_accum *acc, const char *json)
{
    dfa_event *ev = parse(core, json);
    dfa_error err = {0};
    if (dfa_delta_accumulate(acc, ev, 1, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    dfa_event_free(ev);
}

#define KIEN_GIANG_DELEGATION(id, op) \
    "{\"event_id\":\"" id "\"," op "\"type\":\"delegation.out.approved\",\"occurred_at\":\"2024-05-10T07:00:00Z\"," \
    "\"province\":\"Kiên Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,"                        \
    "\"data\":{\"level\":\"provincial_leaders\",\"members\":5,\"countries\":[\"JP\",\"KR\"],\"in_plan\":true}}"

static void test_delegation_by_hand(void **state)
{
    dfa_accum *acc = dfa_accum_new(1000);
    add(*state, acc, KIEN_GIANG_DELEGATION("e1", ""));
    add(*state, acc, KIEN_GIANG_DELEGATION("e2", ""));
    const char *m = "dfa:{p:91}:c:M2024-05";
    assert_int_equal(dfa_accum_get(acc, in_part(m, "_events@91x"), "_events@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegations_out@91x"), "delegations_out@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegations_out|level=provincial_leaders@91x"), "delegations_out|level=provincial_leaders@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegations_out|countries=JP@91x"), "delegations_out|countries=JP@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegations_out|countries=KR@91x"), "delegations_out|countries=KR@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegations_out|in_plan=yes@91x"), "delegations_out|in_plan=yes@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegation_out_members@91x"), "delegation_out_members@91x"), 10);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "delegation_out_members|level=provincial_leaders@91x"), "delegation_out_members|level=provincial_leaders@91x"), 10);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:91}:c:D2024-05-10", "delegations_out@91x"), 2);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:91}:c:A2024-05", "delegations_out@91x"), 0); /* not stored */
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:91}:d:M2024-05:partner_countries@91x", "JP"), 2);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:91}:d:M2024-05:partner_countries@91x", "KR"), 2);
    /* 2 buckets (day, month) x (events + 5 delegation rows: total, level, JP,
     * KR, in_plan + 2 member rows + 2 distinct ids) */
    assert_int_equal(dfa_accum_size(acc), 2 * (1 + 5 + 2 + 2));
    assert_int_equal(dfa_accum_groups(acc), 2);
    dfa_accum_free(acc);
}

static void test_retraction_cancels(void **state)
{
    dfa_accum *acc = dfa_accum_new(1000);
    add(*state, acc, KIEN_GIANG_DELEGATION("e1", ""));
    add(*state, acc, KIEN_GIANG_DELEGATION("e2", ""));
    add(*state, acc, KIEN_GIANG_DELEGATION("r1", "\"op\":\"retract\",\"ref\":\"e1\","));
    for (size_t i = 0; i < dfa_accum_size(acc); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(acc, i);
        if (strstr(e->field, "members"))
            assert_int_equal(e->amount, 5);
        else
            assert_int_equal(e->amount, 1);
    }
    add(*state, acc, KIEN_GIANG_DELEGATION("r2", "\"op\":\"retract\",\"ref\":\"e2\","));
    for (size_t i = 0; i < dfa_accum_size(acc); i++)
        assert_int_equal(dfa_accum_entry_at(acc, i)->amount, 0);
    dfa_accum_free(acc);
}

static void test_money_stock_gauge_plan_nil(void **state)
{
    dfa_accum *acc = dfa_accum_new(1000);
    const char *head = "\"occurred_at\":\"2025-08-01T10:00:00+07:00\",\"province\":\"Gia Lai\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1";
    char json[1024];
    snprintf(json, sizeof json, "{\"event_id\":\"f1\",%s,\"type\":\"fdi.project.licensed\",\"data\":{\"project_id\":\"p1\",\"country\":\"KR\",\"sector\":\"energy\",\"capital\":{\"amount\":5000000,\"currency\":\"USD\"}}}", head);
    add(*state, acc, json);
    snprintf(json, sizeof json, "{\"event_id\":\"f2\",%s,\"type\":\"fdi.project.terminated\",\"data\":{\"project_id\":\"p0\",\"country\":\"JP\",\"sector\":\"energy\",\"capital\":{\"amount\":2000000,\"currency\":\"USD\"}}}", head);
    add(*state, acc, json);
    const char *m = "dfa:{p:52}:c:M2025-08";
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_projects_in_force@52"), "fdi_projects_in_force@52"), 0);  /* +1 -1 */
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_projects_in_force|sector=energy@52"), "fdi_projects_in_force|sector=energy@52"), 0);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_capital_in_force|cur=USD@52"), "fdi_capital_in_force|cur=USD@52"), 3000000);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_capital_registered|cur=USD@52"), "fdi_capital_registered|cur=USD@52"), 5000000);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_capital_registered|country=KR|cur=USD@52"), "fdi_capital_registered|country=KR|cur=USD@52"), 5000000);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "fdi_projects_terminated@52"), "fdi_projects_terminated@52"), 1);

    snprintf(json, sizeof json, "{\"event_id\":\"g1\",%s,\"type\":\"overseas_vietnamese.population.reported\",\"data\":{\"persons\":12000,\"country\":\"US\"}}", head);
    add(*state, acc, json);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:g:ov_population@52", "2025-08-01T10:00:00|g1|12000"), 1);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:g:ov_population|country=US@52", "2025-08-01T10:00:00|g1|12000"), 1);

    snprintf(json, sizeof json, "{\"event_id\":\"p1\",%s,\"type\":\"plan.target.set\",\"data\":{\"metric\":\"delegations_out\",\"period\":\"Y2026\",\"value\":8}}", head);
    add(*state, acc, json);
    snprintf(json, sizeof json, "{\"event_id\":\"p2\",%s,\"type\":\"plan.target.set\",\"data\":{\"metric\":\"ngo_aid_pledged\",\"period\":\"Y2026\",\"amount\":{\"amount\":900,\"currency\":\"EUR\"}}}", head);
    add(*state, acc, json);
    snprintf(json, sizeof json, "{\"event_id\":\"n1\",%s,\"type\":\"report.nil_declared\",\"data\":{\"metrics\":[\"cp_cases_opened\",\"border_incidents\"],\"period\":\"H2025-2\"}}", head);
    add(*state, acc, json);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:t:Y2026", "plan|delegations_out@52"), 8);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:t:Y2026", "plan|ngo_aid_pledged|cur=EUR@52"), 900);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:t:H2025-2", "nil|cp_cases_opened@52"), 1);
    assert_int_equal(dfa_accum_get(acc, "dfa:{p:52}:t:H2025-2", "nil|border_incidents@52"), 1);
    assert_int_equal(dfa_accum_get(acc, in_part(m, "_events@52"), "_events@52"), 6);
    dfa_accum_free(acc);
}

static void test_full_accumulator_is_unchanged(void **state)
{
    dfa_accum *acc = dfa_accum_new(25);
    add(*state, acc, KIEN_GIANG_DELEGATION("e1", "")); /* 20 pairs */
    dfa_event *ev = parse(*state, "{\"event_id\":\"x\",\"type\":\"training.held\",\"occurred_at\":\"2024-01-01T07:00:00Z\","
                                  "\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,"
                                  "\"data\":{\"topic\":\"protocol\",\"participants\":3}}");
    dfa_error err = {0};
    assert_int_equal(dfa_delta_accumulate(acc, ev, 1, &err), DFA_ERR_LIMIT);
    assert_string_equal(err.msg, "accumulator full (25 keys)");
    assert_int_equal(dfa_accum_size(acc), 20);
    assert_int_equal(dfa_accum_groups(acc), 1);
    dfa_accum_clear(acc);
    assert_int_equal(dfa_accum_size(acc), 0);
    assert_int_equal(dfa_delta_accumulate(acc, ev, 1, &err), DFA_OK);
    dfa_event_free(ev);

    assert_int_equal(dfa_accum_add(acc, "k", "f", INT64_MAX, &err), DFA_OK);
    assert_int_equal(dfa_accum_add(acc, "k", "f", 1, &err), DFA_ERR_LIMIT);
    assert_string_equal(err.msg, "counter k f would overflow");
    assert_int_equal(dfa_accum_get(acc, "k", "f"), INT64_MAX);
    dfa_accum_free(acc);
}

/* Each distinct key is kept once, with the note it came with; entries name
 * it by index; a group rolled back takes back its new keys too. */
static void test_keys_and_notes(void **state)
{
    (void)state;
    dfa_accum *acc = dfa_accum_new(25);
    dfa_accum_note seven = {7, "M2024-05"};
    dfa_accum_begin(acc);
    assert_int_equal(dfa_accum_put_noted(acc, "k1", "a", 1, &seven, NULL), DFA_OK);
    assert_int_equal(dfa_accum_put_noted(acc, "k1", "b", 2, NULL, NULL), DFA_OK); /* the first note stays */
    assert_int_equal(dfa_accum_put(acc, "k2", "a", 3, NULL), DFA_OK);
    dfa_accum_commit(acc);
    assert_int_equal(dfa_accum_keys(acc), 2);
    assert_int_equal(dfa_accum_key_note(acc, 0)->tag, 7);
    assert_string_equal(dfa_accum_key_note(acc, 0)->label, "M2024-05");
    assert_int_equal(dfa_accum_key_note(acc, 1)->tag, -1);
    assert_null(dfa_accum_key_note(acc, 1)->label);
    long e = dfa_accum_find(acc, "k1", "b");
    assert_int_equal(e, 1);
    const dfa_accum_entry *en = dfa_accum_entry_at(acc, (size_t)e);
    assert_ptr_equal(en->key, dfa_accum_key(acc, en->key_index)); /* one copy per key */
    assert_int_equal(dfa_accum_find(acc, "k1", "nothing"), -1);
    dfa_accum_begin(acc);
    assert_int_equal(dfa_accum_put(acc, "k1", "a", 10, NULL), DFA_OK);
    assert_int_equal(dfa_accum_put(acc, "k3", "a", 10, NULL), DFA_OK);
    dfa_accum_rollback(acc);
    assert_int_equal(dfa_accum_keys(acc), 2);
    assert_int_equal(dfa_accum_get(acc, "k1", "a"), 1);
    assert_int_equal(dfa_accum_find(acc, "k3", "a"), -1);
    assert_int_equal(dfa_accum_groups(acc), 1);
    assert_int_equal(dfa_accum_put(acc, "k3", "a", 5, NULL), DFA_OK); /* its slots are free again */
    assert_int_equal(dfa_accum_keys(acc), 3);
    dfa_accum_free(acc);
}

/* An event taken back out leaves the sums as if it had never been added; a
 * take-back after the table grew finds every entry still in place. */
static void test_sub_event_and_take_back(void **state)
{
    dfa_accum *acc = dfa_accum_new(5000);
    dfa_event *ev = parse(*state, KIEN_GIANG_DELEGATION("e1", ""));
    dfa_error err = {0};
    assert_int_equal(dfa_delta_accumulate(acc, ev, 1, &err), DFA_OK);
    assert_int_equal(dfa_delta_accumulate(acc, ev, 1, &err), DFA_OK);
    assert_int_equal(dfa_delta_accumulate(acc, ev, -1, &err), DFA_OK);
    assert_int_equal(dfa_accum_get(acc, in_part("dfa:{p:91}:c:M2024-05", "delegation_out_members@91x"), "delegation_out_members@91x"), 5);
    assert_int_equal(dfa_accum_size(acc), 20);
    assert_int_equal(dfa_accum_groups(acc), 3); /* a take-back is a group too */
    char key[32];
    for (int i = 0; i < 4000; i++) { /* past the first table's half: it grows twice */
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(dfa_accum_add(acc, key, "f", i + 1, &err), DFA_OK);
    }
    dfa_accum *small = dfa_accum_new(dfa_accum_size(acc) + 5);
    for (size_t i = 0; i < dfa_accum_size(acc); i++)
        assert_int_equal(dfa_accum_add(small, dfa_accum_entry_at(acc, i)->key, dfa_accum_entry_at(acc, i)->field,
                                       dfa_accum_entry_at(acc, i)->amount, &err), DFA_OK);
    dfa_event *other = parse(*state, "{\"event_id\":\"x\",\"type\":\"training.held\",\"occurred_at\":\"2024-01-01T07:00:00Z\","
                                     "\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,"
                                     "\"data\":{\"topic\":\"protocol\",\"participants\":3}}");
    assert_int_equal(dfa_delta_accumulate(small, other, 1, &err), DFA_ERR_LIMIT); /* 8 pairs: 5 fit, 3 do not */
    assert_int_equal(dfa_accum_size(small), 4020);
    for (int i = 0; i < 4000; i += 97) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(dfa_accum_get(small, key, "f"), i + 1);
    }
    assert_int_equal(dfa_accum_get(small, in_part("dfa:{p:01}:c:M2024-01", "_events@01"), "_events@01"), 0);
    assert_int_equal(dfa_accum_add(small, in_part("dfa:{p:01}:c:M2024-01", "_events@01"), "_events@01", 1, &err), DFA_OK); /* its slot is free again */
    assert_int_equal(dfa_accum_get(small, in_part("dfa:{p:01}:c:M2024-01", "_events@01"), "_events@01"), 1);
    dfa_event_free(other);
    dfa_event_free(ev);
    dfa_accum_free(small);
    dfa_accum_free(acc);
}

/* The naive way: every delta of every surviving event in one array, sorted,
 * runs summed. */
typedef struct {
    char *key, *field;
    int64_t amount;
} flat_delta;

typedef struct {
    flat_delta *items;
    size_t n, cap;
} flat_list;

static dfa_status collect(void *ctx, const dfa_delta *d, dfa_error *err)
{
    (void)err;
    flat_list *l = ctx;
    const char *key = d->key, *field = d->field;
    int64_t amount = d->amount;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = (flat_delta){strdup(key), strdup(field), amount};
    return DFA_OK;
}

static int by_key_field(const void *a, const void *b)
{
    const flat_delta *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->field, y->field);
}

static void flush_into(dfa_accum *batch, dfa_accum *store)
{
    for (size_t i = 0; i < dfa_accum_size(batch); i++) {
        const dfa_accum_entry *e = dfa_accum_entry_at(batch, i);
        assert_int_equal(dfa_accum_add(store, e->key, e->field, e->amount, NULL), DFA_OK);
    }
    dfa_accum_clear(batch);
}

static void test_randomized_against_naive(void **state)
{
    const dfa_core *core = *state;
    enum { EVENTS = 4000, RETRACTIONS = 600 };
    dfa_gen_options opt = {.seed = 20261122, .year_from = 2023, .year_to = 2026, .share_old_names = 40};
    dfa_gen *gen = dfa_gen_new(core, &opt);
    char (*texts)[2048] = calloc(EVENTS, sizeof *texts);
    bool retracted[EVENTS] = {0};
    dfa_accum *batch = dfa_accum_new(3000), *store = dfa_accum_new(2000000);
    dfa_error err = {0};
    size_t flushes = 0;

    for (size_t i = 0; i < EVENTS + RETRACTIONS; i++) {
        char id[32], json[2048];
        snprintf(id, sizeof id, "ev-%zu", i);
        if (i < EVENTS) {
            assert_true(dfa_gen_event(gen, id, texts[i], sizeof texts[i]) > 0);
            memcpy(json, texts[i], sizeof json);
        } else {
            size_t victim = dfa_gen_below(gen, EVENTS);
            while (retracted[victim])
                victim = (victim + 1) % EVENTS;
            retracted[victim] = true;
            assert_true(dfa_gen_retraction(texts[victim], id, json, sizeof json) > 0);
        }
        dfa_event *ev = parse(core, json);
        dfa_status st = dfa_delta_accumulate(batch, ev, 1, &err);
        if (st == DFA_ERR_LIMIT) {
            flush_into(batch, store);
            flushes++;
            st = dfa_delta_accumulate(batch, ev, 1, &err);
        }
        assert_int_equal(st, DFA_OK);
        dfa_event_free(ev);
    }
    flush_into(batch, store);
    assert_true(flushes > 10); /* the bound was really exercised */

    flat_list naive = {0};
    for (size_t i = 0; i < EVENTS; i++) {
        if (retracted[i])
            continue;
        dfa_event *ev = parse(core, texts[i]);
        assert_int_equal(dfa_event_deltas(ev, collect, &naive, NULL), DFA_OK);
        dfa_event_free(ev);
    }
    qsort(naive.items, naive.n, sizeof *naive.items, by_key_field);
    size_t nonzero_naive = 0, nonzero_store = 0;
    for (size_t i = 0; i < naive.n;) {
        size_t j = i;
        int64_t sum = 0;
        for (; j < naive.n && by_key_field(&naive.items[i], &naive.items[j]) == 0; j++)
            sum += naive.items[j].amount;
        if (sum != 0)
            nonzero_naive++;
        if (dfa_accum_get(store, naive.items[i].key, naive.items[i].field) != sum)
            fail_msg("%s %s: accumulator %lld, naive %lld", naive.items[i].key, naive.items[i].field,
                     (long long)dfa_accum_get(store, naive.items[i].key, naive.items[i].field), (long long)sum);
        i = j;
    }
    for (size_t i = 0; i < dfa_accum_size(store); i++)
        nonzero_store += dfa_accum_entry_at(store, i)->amount != 0;
    assert_int_equal(nonzero_store, nonzero_naive);
    assert_true(nonzero_naive > 10000);

    for (size_t i = 0; i < naive.n; i++)
        free(naive.items[i].key), free(naive.items[i].field);
    free(naive.items);
    free(texts);
    dfa_accum_free(batch);
    dfa_accum_free(store);
    dfa_gen_free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delegation_by_hand),
        cmocka_unit_test(test_retraction_cancels),
        cmocka_unit_test(test_money_stock_gauge_plan_nil),
        cmocka_unit_test(test_full_accumulator_is_unchanged),
        cmocka_unit_test(test_sub_event_and_take_back),
        cmocka_unit_test(test_keys_and_notes),
        cmocka_unit_test(test_randomized_against_naive),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
