/* Local time and period bucketing: Asia/Ho_Chi_Minh whatever the machine's TZ. */
#include "test_support.h"

#include "dfa_period.h"

typedef struct {
    const char *at;   /* occurred_at */
    const char *ids[DFA_PERIOD__COUNT]; /* expected id per kind; "" = none */
} bucket_case;

static const bucket_case bucket_cases[] = {
    /* 17:00Z on the last day of a period is 00:00 local on the next day */
    {"2022-06-30T17:00:00Z", {"D2022-07-01", "M2022-07", "Q2022-3", "H2022-2", "N2022", "Y2022", "A2022-07", "AY2022"}},
    {"2022-06-30T16:59:59Z", {"D2022-06-30", "M2022-06", "Q2022-2", "H2022-1", "N2022", "Y2022", "A2022-07", "AY2022"}},
    {"2022-06-30T20:00:00Z", {"D2022-07-01", "M2022-07", "Q2022-3", "H2022-2", "N2022", "Y2022", "A2022-07", "AY2022"}},
    /* year end */
    {"2024-12-31T17:00:00Z", {"D2025-01-01", "M2025-01", "Q2025-1", "H2025-1", "N2025", "Y2025", "A2025-01", "AY2025"}},
    {"2024-12-31T16:59:59Z", {"D2024-12-31", "M2024-12", "Q2024-4", "H2024-2", "", "Y2024", "A2025-01", "AY2025"}},
    /* nine months ends with September */
    {"2025-09-30T16:59:59Z", {"D2025-09-30", "M2025-09", "Q2025-3", "H2025-2", "N2025", "Y2025", "A2025-10", "AY2025"}},
    {"2025-09-30T17:00:00Z", {"D2025-10-01", "M2025-10", "Q2025-4", "H2025-2", "", "Y2025", "A2025-10", "AY2025"}},
    /* 29 February */
    {"2024-02-29T10:00:00+07:00", {"D2024-02-29", "M2024-02", "Q2024-1", "H2024-1", "N2024", "Y2024", "A2024-03", "AY2024"}},
    {"2024-02-28T17:00:00Z", {"D2024-02-29", "M2024-02", "Q2024-1", "H2024-1", "N2024", "Y2024", "A2024-03", "AY2024"}},
    /* administrative calendar: the 14th closes, the 15th opens the next */
    {"2025-03-14T23:59:59+07:00", {"D2025-03-14", "M2025-03", "Q2025-1", "H2025-1", "N2025", "Y2025", "A2025-03", "AY2025"}},
    {"2025-03-15T00:00:00+07:00", {"D2025-03-15", "M2025-03", "Q2025-1", "H2025-1", "N2025", "Y2025", "A2025-04", "AY2025"}},
    {"2025-03-14T17:00:00Z", {"D2025-03-15", "M2025-03", "Q2025-1", "H2025-1", "N2025", "Y2025", "A2025-04", "AY2025"}},
    {"2025-12-14T12:00:00+07:00", {"D2025-12-14", "M2025-12", "Q2025-4", "H2025-2", "", "Y2025", "A2025-12", "AY2025"}},
    {"2025-12-15T00:00:00+07:00", {"D2025-12-15", "M2025-12", "Q2025-4", "H2025-2", "", "Y2025", "A2026-01", "AY2026"}},
    /* offsets other than Z and +07:00, fractions, lower-case t and z */
    {"2025-01-01T00:30:00+09:00", {"D2024-12-31", "M2024-12", "Q2024-4", "H2024-2", "", "Y2024", "A2025-01", "AY2025"}},
    {"2024-12-31t20:00:00.999z", {"D2025-01-01", "M2025-01", "Q2025-1", "H2025-1", "N2025", "Y2025", "A2025-01", "AY2025"}},
    {"2025-07-01T02:00:00-05:00", {"D2025-07-01", "M2025-07", "Q2025-3", "H2025-2", "N2025", "Y2025", "A2025-07", "AY2025"}},
};

static void test_buckets(void **state)
{
    (void)state;
    setenv("TZ", "America/New_York", 1); /* must change nothing */
    for (size_t i = 0; i < sizeof bucket_cases / sizeof bucket_cases[0]; i++) {
        dfa_instant at;
        dfa_error err = {0};
        if (dfa_instant_parse(bucket_cases[i].at, &at, &err) != DFA_OK)
            fail_msg("%s: %s", bucket_cases[i].at, err.msg);
        for (int k = 0; k < DFA_PERIOD__COUNT; k++) {
            char id[DFA_PERIOD_ID_MAX] = "";
            bool has = dfa_period_id((dfa_period_kind)k, at.local, id);
            if (strcmp(has ? id : "", bucket_cases[i].ids[k]) != 0)
                fail_msg("%s %s: got %s, want %s", bucket_cases[i].at, dfa_period_kind_name((dfa_period_kind)k),
                         has ? id : "(none)", bucket_cases[i].ids[k]);
        }
    }
}

static void test_utc_seconds(void **state)
{
    (void)state;
    dfa_instant at;
    assert_int_equal(dfa_instant_parse("2000-01-01T07:00:00+07:00", &at, NULL), DFA_OK);
    assert_int_equal(at.utc_seconds, 946684800);
    assert_int_equal(dfa_instant_parse("2022-06-30T20:00:00Z", &at, NULL), DFA_OK);
    assert_int_equal(at.utc_seconds, 1656619200);
    assert_int_equal(at.local_seconds, 3 * 3600);
    assert_int_equal(dfa_instant_parse("2016-12-31T23:59:60Z", &at, NULL), DFA_OK); /* leap second */
    assert_int_equal(at.local.day, 1);
}

/* Says what differed in case i, so that one run shows every failing case. */
static int mismatch(size_t i, dfa_status got, dfa_status want, const char *msg, const char *want_msg)
{
    if (got == want && strcmp(msg, want_msg) == 0)
        return 0;
    print_error("case %zu:\n  got  %d: %s\n  want %d: %s\n", i, (int)got, got ? msg : "", (int)want, want_msg);
    return 1;
}

static void test_bad_times(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"2025-02-29T10:00:00Z", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"2025-02-29T10:00:00Z\""},
        {"2025-13-01T10:00:00Z", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"2025-13-01T10:00:00Z\""},
        {"2025-01-01 10:00:00Z", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"2025-01-01 10:00:00Z\""},
        {"2025-01-01T24:00:00Z", "occurred_at: time of day out of range in \"2025-01-01T24:00:00Z\""},
        {"2025-01-01T10:00:00", "occurred_at: missing UTC offset (Z or +07:00) in \"2025-01-01T10:00:00\""},
        {"2025-01-01T10:00:00+7:00", "occurred_at: bad UTC offset in \"2025-01-01T10:00:00+7:00\""},
        {"2025-01-01T10:00:00.Z", "occurred_at: empty fraction of a second in \"2025-01-01T10:00:00.Z\""},
        {"2025-01-01T10:00:00Zjunk", "occurred_at: trailing characters in \"2025-01-01T10:00:00Zjunk\""},
        {"1989-12-31T10:00:00Z", "occurred_at: year 1989 outside 1990..2099"},
        {"", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"\""},
        /* what a message echoes is escaped, and cut between characters */
        {"2025-06-30T20:00:00Z\nx.ndjson:9: valid", "occurred_at: trailing characters in \"2025-06-30T20:00:00Z\\nx.ndjson:9: valid\""},
        {"\"2025\\", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"\\\"2025\\\\\""},
        {"\x1b[31m2025", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"\\u001b[31m2025\""},
        {"2025\xff\xfe", "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"2025\\xff\\xfe\""},
        {"2025-01-01T10:00:00Z" "xxxxxxxxxxxxxxxxxxx\xc3\xa9", "occurred_at: trailing characters in \"2025-01-01T10:00:00Z" "xxxxxxxxxxxxxxxxxxx...\""},
        {"2025-01-01T10:00:00Z" "xxxxxxxxxxxxxxxxx\xf0\x9f\x98\x80", "occurred_at: trailing characters in \"2025-01-01T10:00:00Z" "xxxxxxxxxxxxxxxxx...\""},
    };
    size_t failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dfa_instant at;
        dfa_error err = {0};
        dfa_status st = dfa_instant_parse(cases[i].text, &at, &err);
        failures += mismatch(i, st, DFA_ERR_TIME, err.msg, cases[i].msg);
    }
    assert_int_equal(failures, 0);
}

static void test_period_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *id, *first, *last;
    } cases[] = {
        {"M2024-02", "2024-02-01", "2024-02-29"}, {"M2025-02", "2025-02-01", "2025-02-28"},
        {"Q2025-3", "2025-07-01", "2025-09-30"},  {"H2025-1", "2025-01-01", "2025-06-30"},
        {"H2025-2", "2025-07-01", "2025-12-31"},  {"N2025", "2025-01-01", "2025-09-30"},
        {"Y2025", "2025-01-01", "2025-12-31"},    {"R2021-2025", "2021-01-01", "2025-12-31"},
        {"A2025-01", "2024-12-15", "2025-01-14"}, {"A2025-07", "2025-06-15", "2025-07-14"},
        {"AY2025", "2024-12-15", "2025-12-14"},   {"D2025-07-01", "2025-07-01", "2025-07-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dfa_date first, last;
        assert_int_equal(dfa_period_parse(cases[i].id, &first, &last, NULL), DFA_OK);
        char a[16], b[16];
        snprintf(a, sizeof a, "%04d-%02d-%02d", first.year, first.month, first.day);
        snprintf(b, sizeof b, "%04d-%02d-%02d", last.year, last.month, last.day);
        assert_string_equal(a, cases[i].first);
        assert_string_equal(b, cases[i].last);
    }
    static const char *const bad[] = {"M2025-13", "Q2025-5", "H2025-3", "R2025-2021", "X2025", "Y25", "A2025-00", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dfa_date first, last;
        assert_int_equal(dfa_period_parse(bad[i], &first, &last, NULL), DFA_ERR_SCHEMA);
    }
    /* at the edges of 1990..2099: administrative periods spill over */
    static const char *const edges[] = {"Y1990", "D1990-01-01", "A1990-01", "AY1990", "Y2099", "D2099-12-31",
                                        "A2100-01", "AY2100", "R1990-2099"};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        dfa_date first, last;
        dfa_error err = {0};
        if (dfa_period_parse(edges[i], &first, &last, &err) != DFA_OK)
            fail_msg("%s: %s", edges[i], err.msg);
    }
}

#define LIKE "period: expected an id like M2025-07, Q2025-3, H2025-1, N2025, Y2025, R2021-2025, A2025-07 or AY2025, got "

static void test_bad_periods(void **state)
{
    (void)state;
    static const struct {
        const char *id, *msg;
    } cases[] = {
        {"Y1989", "period: \"Y1989\" is outside 1990..2099"},
        {"Y2100", "period: \"Y2100\" is outside 1990..2099"},
        {"D1989-12-31", "period: \"D1989-12-31\" is outside 1990..2099"},
        {"M2100-01", "period: \"M2100-01\" is outside 1990..2099"},
        {"A2100-02", "period: \"A2100-02\" is outside 1990..2099"},
        {"AY1989", "period: \"AY1989\" is outside 1990..2099"},
        {"R2100-2101", "period: \"R2100-2101\" is outside 1990..2099"},
        {"R1985-1990", "period: \"R1985-1990\" is outside 1990..2099"},
        {"R2099-2100", "period: \"R2099-2100\" is outside 1990..2099"},
        {"Y2025\nx.ndjson:9: valid", LIKE "\"Y2025\\nx.ndjson:9: valid\""},
        {"Y\"2025\\", LIKE "\"Y\\\"2025\\\\\""},
        {"Y\x1b[0m", LIKE "\"Y\\u001b[0m\""},
        {"Y20\xe2\x82", LIKE "\"Y20\\xe2\\x82\""},
        {"Yxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9", LIKE "\"Yxxxxxxxxxxxxxxxxxxxxxx...\""},
        {"Yxxxxxxxxxxxxxxxxxxxx\xf0\x9f\x98\x80", LIKE "\"Yxxxxxxxxxxxxxxxxxxxx...\""},
    };
    size_t failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dfa_date first, last;
        dfa_error err = {0};
        dfa_status st = dfa_period_parse(cases[i].id, &first, &last, &err);
        failures += mismatch(i, st, DFA_ERR_SCHEMA, err.msg, cases[i].msg);
    }
    assert_int_equal(failures, 0);
}

/* Every day of 1990..2099 goes to days and back, and each period holds it. */
static void test_every_day_round_trips(void **state)
{
    (void)state;
    dfa_date d = {1990, 1, 1};
    for (int64_t day = dfa_date_to_days(d); d.year < 2100; d = dfa_date_from_days(++day)) {
        assert_int_equal(dfa_date_to_days(d), day);
        for (int k = 0; k < DFA_PERIOD__COUNT; k++) {
            char id[DFA_PERIOD_ID_MAX];
            dfa_date first, last;
            if (!dfa_period_id((dfa_period_kind)k, d, id))
                continue;
            assert_int_equal(dfa_period_parse(id, &first, &last, NULL), DFA_OK);
            assert_true(dfa_date_cmp(first, d) <= 0 && dfa_date_cmp(d, last) <= 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_utc_seconds),
        cmocka_unit_test(test_bad_times),
        cmocka_unit_test(test_period_ranges),
        cmocka_unit_test(test_bad_periods),
        cmocka_unit_test(test_every_day_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
