/* The rules of what is remembered of one id (aggregator/dfa_memory.c), without
 * Redis: every order in which an event, a faithful retraction and a
 * retraction with a wrong copy arrive gives the same count, and every wrong
 * copy gives exactly one dead letter (at its own arrival, or as a notice when
 * its event comes). */
#include "test_support.h"

#include "dfa_memory.h"

#define FP_EVENT "00000000000000aa"
#define FP_WRONG "00000000000000bb"

typedef enum { ADD, RETRACT_FAITHFUL, RETRACT_WRONG, RESEND_ADD } step;

typedef struct {
    int count;        /* +1 for an add that counts, -1 for a retraction that takes it back */
    int dead_letters; /* mismatches at arrival, plus notices when the event came */
} tally;

/* Replays steps against one remembered value, as the applier does. */
static tally run(const step *steps, size_t n)
{
    char value[DFA_MEMORY_VALUE_MAX] = "", now[DFA_MEMORY_VALUE_MAX], mismatched[200];
    tally t = {0, 0};
    for (size_t i = 0; i < n; i++) {
        dfa_memory_verdict v;
        if (steps[i] == ADD || steps[i] == RESEND_ADD) {
            v = dfa_memory_add(value, FP_EVENT, now, mismatched, sizeof mismatched);
            t.count += v == DFA_MEMORY_COUNT;
            t.dead_letters += mismatched[0] != '\0';
        } else {
            v = dfa_memory_retract(value, steps[i] == RETRACT_FAITHFUL ? FP_EVENT : FP_WRONG,
                                   steps[i] == RETRACT_FAITHFUL ? "good" : "bad", now);
            t.count -= v == DFA_MEMORY_RETRACT;
            t.dead_letters += v == DFA_MEMORY_MISMATCH;
        }
        if (now[0])
            strcpy(value, now);
    }
    return t;
}

/* Every permutation of steps[0..n) (Heap's algorithm) gives want. */
static void every_order(step *steps, size_t k, size_t n, tally want)
{
    if (k == 1) {
        tally got = run(steps, n);
        assert_int_equal(got.count, want.count);
        assert_int_equal(got.dead_letters, want.dead_letters);
        return;
    }
    for (size_t i = 0; i < k; i++) {
        every_order(steps, k - 1, n, want);
        size_t j = k % 2 ? 0 : i;
        step s = steps[j];
        steps[j] = steps[k - 1];
        steps[k - 1] = s;
    }
}

static void test_order_never_changes_the_totals(void **state)
{
    (void)state;
    step both[] = {ADD, RETRACT_FAITHFUL, RETRACT_WRONG};
    every_order(both, 3, 3, (tally){0, 1});
    step wrong_only[] = {ADD, RETRACT_WRONG};
    every_order(wrong_only, 2, 2, (tally){1, 1});
    step faithful_only[] = {ADD, RETRACT_FAITHFUL};
    every_order(faithful_only, 2, 2, (tally){0, 0});
    step with_resend[] = {ADD, RETRACT_FAITHFUL, RETRACT_WRONG, RESEND_ADD};
    every_order(with_resend, 4, 4, (tally){0, 1});
}

static void test_values(void **state)
{
    (void)state;
    char now[DFA_MEMORY_VALUE_MAX], mismatched[64];
    assert_int_equal(dfa_memory_add(NULL, FP_EVENT, now, mismatched, sizeof mismatched), DFA_MEMORY_COUNT);
    assert_string_equal(now, "c" FP_EVENT);
    assert_int_equal(dfa_memory_retract(NULL, FP_WRONG, "r-1", now), DFA_MEMORY_TOMBSTONE);
    assert_string_equal(now, "t" FP_WRONG "r-1,");
    assert_int_equal(dfa_memory_retract("t" FP_WRONG "r-1,", FP_EVENT, "r-2", now), DFA_MEMORY_TOMBSTONE);
    assert_string_equal(now, "t" FP_WRONG "r-1," FP_EVENT "r-2,");
    assert_int_equal(dfa_memory_add("t" FP_WRONG "r-1," FP_EVENT "r-2,", FP_EVENT, now, mismatched, sizeof mismatched),
                     DFA_MEMORY_CANCEL);
    assert_string_equal(now, "r" FP_EVENT);
    assert_string_equal(mismatched, "r-1");
    assert_int_equal(dfa_memory_retract("r" FP_EVENT, FP_EVENT, "r-3", now), DFA_MEMORY_ALREADY);
    assert_string_equal(now, "");
    assert_int_equal(dfa_memory_retract("x", FP_EVENT, "r-4", now), DFA_MEMORY_NOT_EVENT);
    assert_int_equal(dfa_memory_add("x", FP_EVENT, now, mismatched, sizeof mismatched), DFA_MEMORY_DUPLICATE);
}

/* Any sender can retract any id: the copies that may wait are bounded. */
static void test_waiting_copies_are_bounded(void **state)
{
    (void)state;
    char value[DFA_MEMORY_VALUE_MAX] = "", now[DFA_MEMORY_VALUE_MAX];
    for (int i = 0; i < DFA_MEMORY_MAX_COPIES; i++) {
        char fp[17], rid[DFA_EVENT_ID_MAX + 1];
        snprintf(fp, sizeof fp, "%016x", i);
        memset(rid, 'a' + i, DFA_EVENT_ID_MAX); /* the longest ids: the value's largest size */
        rid[DFA_EVENT_ID_MAX] = '\0';
        assert_int_equal(dfa_memory_retract(value, fp, rid, now), DFA_MEMORY_TOMBSTONE);
        strcpy(value, now);
    }
    assert_int_equal(strlen(value), DFA_MEMORY_VALUE_MAX - 1);
    assert_int_equal(dfa_memory_retract(value, "ffffffffffffffff", "one-more", now), DFA_MEMORY_FULL);
    assert_string_equal(now, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_never_changes_the_totals),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_waiting_copies_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
