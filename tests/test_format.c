/* dfa_format: the Vietnamese ways of writing numbers, money, percents and
 * dates, and the plain machine form, against values written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dfa_format.h"

static void test_integers(void **state)
{
    (void)state;
    char b[DFA_FORMAT_MAX];
    assert_string_equal(dfa_format_vi_int(0, b, sizeof b), "0");
    assert_string_equal(dfa_format_vi_int(999, b, sizeof b), "999");
    assert_string_equal(dfa_format_vi_int(1000, b, sizeof b), "1.000");
    assert_string_equal(dfa_format_vi_int(281297413, b, sizeof b), "281.297.413");
    assert_string_equal(dfa_format_vi_int(-3, b, sizeof b), "-3");
    assert_string_equal(dfa_format_vi_int(INT64_MIN, b, sizeof b), "-9.223.372.036.854.775.808");
}

static void test_money(void **state)
{
    (void)state;
    char b[DFA_FORMAT_MAX];
    assert_string_equal(dfa_format_vi_money(28129741300, "USD", b, sizeof b), "281.297.413 USD"); /* no ",00" */
    assert_string_equal(dfa_format_vi_money(12000050, "USD", b, sizeof b), "120.000,50 USD");
    assert_string_equal(dfa_format_vi_money(2000000000, "VND", b, sizeof b), "2.000.000.000 VND");
    assert_string_equal(dfa_format_vi_money(1005, "KWD", b, sizeof b), "1,005 KWD");
    assert_string_equal(dfa_format_vi_money(5, "USD", b, sizeof b), "0,05 USD");
}

static void test_percents_and_dates(void **state)
{
    (void)state;
    char b[DFA_FORMAT_MAX];
    assert_string_equal(dfa_format_vi_pct_tenths(dfa_format_tenths(1300.0), 1, b, sizeof b), "1.300,0%");
    assert_string_equal(dfa_format_vi_pct_tenths(dfa_format_tenths(-60.0), 1, b, sizeof b), "60,0%"); /* the word says giảm */
    assert_string_equal(dfa_format_vi_pct_tenths(dfa_format_tenths(-60.0), 0, b, sizeof b), "-60,0%");
    assert_string_equal(dfa_format_plain_pct(1300.0, b, sizeof b), "1300.0");
    assert_string_equal(dfa_format_plain_pct(-66.7, b, sizeof b), "-66.7");
    assert_string_equal(dfa_format_vi_date((dfa_date){2022, 6, 30}, b, sizeof b), "30/6/2022");
    assert_string_equal(dfa_format_vi_iso_date("2025-01-01", b, sizeof b), "1/1/2025");
    assert_string_equal(dfa_format_vi_change_word(26), "tăng");
    assert_string_equal(dfa_format_vi_change_word(-3), "giảm");
    assert_string_equal(dfa_format_vi_change_word(0), "bằng");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_integers), cmocka_unit_test(test_money),
                                       cmocka_unit_test(test_percents_and_dates)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
