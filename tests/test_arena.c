/* dfa_arena: strings across chunk boundaries, a request larger than a
 * chunk, and a reset that reuses the same memory. */
#include "test_support.h"

#include "dfa_arena.h"

static void test_strings_survive_until_reset(void **state)
{
    (void)state;
    dfa_arena *a = dfa_arena_new(64);
    char *s[40];
    char want[32];
    for (int i = 0; i < 40; i++) { /* 40 strings of ~12 bytes: several chunks */
        snprintf(want, sizeof want, "string-%d", i);
        s[i] = dfa_arena_strdup(a, want);
        assert_non_null(s[i]);
    }
    for (int i = 0; i < 40; i++) {
        snprintf(want, sizeof want, "string-%d", i);
        assert_string_equal(s[i], want);
    }
    char *big = dfa_arena_alloc(a, 1000); /* its own chunk */
    assert_non_null(big);
    memset(big, 'b', 1000);
    assert_string_equal(s[39], "string-39");
    dfa_arena_free(a);
}

static void test_reset_reuses_the_chunks(void **state)
{
    (void)state;
    dfa_arena *a = dfa_arena_new(64);
    char *first[20], *again[20];
    for (int i = 0; i < 20; i++)
        first[i] = dfa_arena_strdup(a, "0123456789");
    dfa_arena_reset(a);
    for (int i = 0; i < 20; i++)
        again[i] = dfa_arena_strdup(a, "abcdefghij");
    for (int i = 0; i < 20; i++)
        assert_ptr_equal(again[i], first[i]); /* the same bytes, in the same order */
    assert_string_equal(first[7], "abcdefghij");
    dfa_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_survive_until_reset),
        cmocka_unit_test(test_reset_reuses_the_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
