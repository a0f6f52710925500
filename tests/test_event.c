/* Event parsing and validation: every bad input gets its exact error. */
#include "test_support.h"

#include "dfa_event.h"
#include "dfa_text.h"

#define HEAD "\"event_id\":\"e1\",\"occurred_at\":\"2024-05-10T07:00:00Z\",\"province\":\"91\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1"
/* A delegation.out.approved event with the given data object. */
#define DELEG(data) "{" HEAD ",\"type\":\"delegation.out.approved\",\"data\":" data "}"
#define DELEG_OK "{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\"]}"
/* An event of the given type and data. */
#define TYPED(type, data) "{" HEAD ",\"type\":\"" type "\",\"data\":" data "}"
/* The envelope with one more field (replacing none). */
#define ENV_PLUS(extra) "{" HEAD ",\"type\":\"delegation.out.approved\",\"data\":" DELEG_OK "," extra "}"
/* The envelope with fields given whole (no HEAD). */
#define ENV(fields) "{" fields "}"
#define A10 "aaaaaaaaaa"
#define AID(value) TYPED("ngo.aid.pledged", "{\"donor_id\":\"d1\",\"form\":\"project\",\"sector\":\"health\",\"value\":" value "}")

typedef struct {
    const char *json;
    dfa_status code;
    const char *msg;
} invalid_case;

static const invalid_case invalid_cases[] = {
    /* not JSON, or not an object */
    {"", DFA_ERR_JSON, "json: column 0: '[' or '{' expected near end of file"},
    {"{", DFA_ERR_JSON, "json: column 1: string or '}' expected near end of file"},
    {"[1,2]", DFA_ERR_JSON, "event: expected a JSON object"},
    {"\"text\"", DFA_ERR_JSON, "json: column 6: '[' or '{' expected near '\\\"text\\\"'"},
    {"{} {}", DFA_ERR_JSON, "json: column 4: end of file expected near '{'"},
    {"{\"event_id\":\"a\",\"event_id\":\"b\"}", DFA_ERR_JSON, "json: column 26: duplicate object key near '\\\"event_id\\\"'"},
    {"{\"event_id\":\"\xc3\x28\"}", DFA_ERR_JSON, "json: column 13: unable to decode byte 0xc3 near '\\\"'"},
    {"{\"a\":123456789012345678901234567890}", DFA_ERR_JSON, "json: column 35: too big integer"},
    {"{\"a\":1e999}", DFA_ERR_JSON, "json: column 10: real number overflow near '1e999'"},
    {"{\"a\":\"\\u0000\"}", DFA_ERR_JSON, "json: column 13: \\u0000 is not allowed without JSON_ALLOW_NUL near '\\\"\\\\u0000\\\"'"},
    /* envelope */
    {"{}", DFA_ERR_SCHEMA, "schema_version: required"},
    {ENV_PLUS("\"extra\":1"), DFA_ERR_SCHEMA, "extra: unknown envelope field"},
    {ENV("\"schema_version\":2"), DFA_ERR_SCHEMA, "schema_version: expected 1, got 2"},
    {ENV("\"schema_version\":\"1\""), DFA_ERR_SCHEMA, "schema_version: expected 1, got \"1\""},
    {ENV("\"schema_version\":1"), DFA_ERR_SCHEMA, "event_id: required"},
    {ENV("\"schema_version\":1,\"event_id\":7"), DFA_ERR_SCHEMA, "event_id: expected a string, got 7"},
    {ENV("\"schema_version\":1,\"event_id\":\"\""), DFA_ERR_SCHEMA, "event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"\""},
    {ENV("\"schema_version\":1,\"event_id\":\"a b\""), DFA_ERR_SCHEMA, "event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"a b\""},
    {ENV("\"schema_version\":1,\"event_id\":\"{p:91}\""), DFA_ERR_SCHEMA, "event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"{p:91}\""},
    {ENV("\"schema_version\":1,\"event_id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""), DFA_ERR_SCHEMA,
     "event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\""), DFA_ERR_SCHEMA, "type: required"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"delegation.teleported\""), DFA_ERR_UNKNOWN_TYPE,
     "type: unknown event type \"delegation.teleported\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":[]"), DFA_ERR_SCHEMA, "type: expected a string, got an array"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\""), DFA_ERR_SCHEMA, "occurred_at: required"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"yesterday\""), DFA_ERR_TIME,
     "occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got \"yesterday\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00\""), DFA_ERR_TIME,
     "occurred_at: missing UTC offset (Z or +07:00) in \"2025-06-30T20:00:00\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\""), DFA_ERR_SCHEMA,
     "province: required"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":91"), DFA_ERR_SCHEMA,
     "province: expected a string, got 91"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":\"Sai Gon Moi\""), DFA_ERR_PROVINCE,
     "province: unknown province \"Sai Gon Moi\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":\"91\""), DFA_ERR_SCHEMA,
     "reporter: required"},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":\"91\",\"reporter\":\"ministry_of_magic\""), DFA_ERR_SCHEMA,
     "reporter: expected a reporter role of the catalog such as \"dept_foreign_affairs\", got \"ministry_of_magic\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":\"91\",\"reporter\":\"other\""), DFA_ERR_SCHEMA,
     "data: required (an object, {} when the type has no fields)"},
    {ENV_PLUS("\"op\":\"delete\""), DFA_ERR_SCHEMA, "op: expected \"add\" or \"retract\", got \"delete\""},
    {ENV_PLUS("\"op\":\"retract\""), DFA_ERR_SCHEMA, "ref: required when op is retract (the event_id it cancels)"},
    {ENV_PLUS("\"ref\":\"e0\""), DFA_ERR_SCHEMA, "ref: only allowed when op is retract"},
    {ENV_PLUS("\"op\":\"retract\",\"ref\":\"e1\""), DFA_ERR_SCHEMA, "ref: an event cannot retract itself"},
    {ENV_PLUS("\"op\":\"retract\",\"ref\":\"a|b\""), DFA_ERR_SCHEMA, "ref: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"a|b\""},
    {ENV_PLUS("\"estimate\":\"yes\""), DFA_ERR_SCHEMA, "estimate: expected true or false, got \"yes\""},
    /* data of delegation.out.approved */
    {DELEG("[]"), DFA_ERR_SCHEMA, "data: expected an object, got an array"},
    {DELEG("{}"), DFA_ERR_SCHEMA, "data.level: required for type delegation.out.approved"},
    {DELEG("{\"level\":\"departments\",\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: required for type delegation.out.approved"},
    {DELEG("{\"level\":\"departments\",\"members\":\"ba\",\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got \"ba\""},
    {DELEG("{\"level\":\"departments\",\"members\":0,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got 0"},
    {DELEG("{\"level\":\"departments\",\"members\":10001,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got 10001"},
    {DELEG("{\"level\":\"departments\",\"members\":-3,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got -3"},
    {DELEG("{\"level\":\"departments\",\"members\":2.5,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got 2.5"},
    {DELEG("{\"level\":\"departments\",\"members\":null,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA, "data.members: expected integer 1..10000, got null"},
    {DELEG("{\"level\":\"kings\",\"members\":3,\"countries\":[\"JP\"]}"), DFA_ERR_SCHEMA,
     "data.level: expected one of provincial_leaders|departments|communes|mass_organisations|enterprises, got \"kings\""},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[]}"), DFA_ERR_SCHEMA,
     "data.countries: expected an array of 1..30 distinct ISO 3166-1 alpha-2 codes, got an array"},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":\"JP\"}"), DFA_ERR_SCHEMA,
     "data.countries: expected an array of 1..30 distinct ISO 3166-1 alpha-2 codes, got \"JP\""},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\",\"jp\"]}"), DFA_ERR_SCHEMA,
     "data.countries[1]: expected an ISO 3166-1 alpha-2 country code such as \"JP\", got \"jp\""},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\",\"XX\"]}"), DFA_ERR_SCHEMA,
     "data.countries[1]: expected an ISO 3166-1 alpha-2 country code such as \"JP\", got \"XX\""},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JPN\"]}"), DFA_ERR_SCHEMA,
     "data.countries[0]: expected an ISO 3166-1 alpha-2 country code such as \"JP\", got \"JPN\""},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\",\"KR\",\"JP\"]}"), DFA_ERR_SCHEMA,
     "data.countries[2]: \"JP\" repeats data.countries[0]"},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\"],\"in_plan\":1}"), DFA_ERR_SCHEMA,
     "data.in_plan: expected true or false, got 1"},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[\"JP\"],\"destination\":\"JP\"}"), DFA_ERR_SCHEMA,
     "data.destination: unknown field for type delegation.out.approved"},
    {DELEG("{\"level\":\"departments\",\"members\":3,\"countries\":[[[[[\"JP\"]]]]]}"), DFA_ERR_SCHEMA,
     "data.countries[0]: expected an ISO 3166-1 alpha-2 country code such as \"JP\", got an array"},
    /* money */
    {AID("1500"), DFA_ERR_SCHEMA, "data.value: expected {\"amount\": minor units, \"currency\": ISO 4217}, got 1500"},
    {AID("{\"amount\":1500}"), DFA_ERR_SCHEMA, "data.value.currency: required"},
    {AID("{\"currency\":\"USD\"}"), DFA_ERR_SCHEMA, "data.value.amount: required"},
    {AID("{\"amount\":15.5,\"currency\":\"USD\"}"), DFA_ERR_SCHEMA, "data.value.amount: expected integer minor units 0..1000000000000000, got 15.5"},
    {AID("{\"amount\":-1,\"currency\":\"USD\"}"), DFA_ERR_SCHEMA, "data.value.amount: expected integer minor units 0..1000000000000000, got -1"},
    {AID("{\"amount\":1000000000000001,\"currency\":\"USD\"}"), DFA_ERR_SCHEMA,
     "data.value.amount: expected integer minor units 0..1000000000000000, got 1000000000000001"},
    {AID("{\"amount\":\"1500\",\"currency\":\"USD\"}"), DFA_ERR_SCHEMA, "data.value.amount: expected integer minor units 0..1000000000000000, got \"1500\""},
    {AID("{\"amount\":1500,\"currency\":\"usd\"}"), DFA_ERR_SCHEMA, "data.value.currency: expected an ISO 4217 currency code such as \"VND\", got \"usd\""},
    {AID("{\"amount\":1500,\"currency\":\"XYZ\"}"), DFA_ERR_SCHEMA, "data.value.currency: expected an ISO 4217 currency code such as \"VND\", got \"XYZ\""},
    {AID("{\"amount\":1500,\"currency\":\"USD\",\"rate\":25000}"), DFA_ERR_SCHEMA, "data.value.rate: unknown field (money has amount and currency)"},
    /* other field types */
    {TYPED("ngo.aid.pledged", "{\"donor_id\":\"d 1\",\"form\":\"project\",\"sector\":\"health\",\"value\":{\"amount\":1,\"currency\":\"USD\"}}"), DFA_ERR_SCHEMA,
     "data.donor_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"d 1\""},
    {TYPED("delegation.out.cancelled", "{\"level\":\"departments\",\"change\":\"cancelled\",\"reason\":7}"), DFA_ERR_SCHEMA,
     "data.reason: expected text of at most 1000 bytes, got 7"},
    {TYPED("plan.target.set", "{\"metric\":\"delegations_out\",\"period\":\"2025\",\"value\":8}"), DFA_ERR_SCHEMA,
     "data.period: expected a period id such as Y2025, H2025-1, Q2025-3, N2025, M2025-07 or AY2025, got \"2025\""},
    {TYPED("plan.target.set", "{\"metric\":\"delegations_up\",\"period\":\"Y2025\",\"value\":8}"), DFA_ERR_SCHEMA,
     "data.metric: expected the name of a catalog metric, got \"delegations_up\""},
    {TYPED("plan.target.set", "{\"metric\":\"delegations_out\",\"period\":\"Y2025\"}"), DFA_ERR_SCHEMA,
     "data.value: required for a target of count metric delegations_out"},
    {TYPED("plan.target.set", "{\"metric\":\"ngo_aid_pledged\",\"period\":\"Y2025\",\"value\":8}"), DFA_ERR_SCHEMA,
     "data.amount: required for a target of money metric ngo_aid_pledged"},
    {TYPED("plan.target.set", "{\"metric\":\"ngo_aid_pledged\",\"period\":\"Y2025\",\"value\":8,\"amount\":{\"amount\":1,\"currency\":\"USD\"}}"), DFA_ERR_SCHEMA,
     "data.value: not allowed for a target of money metric ngo_aid_pledged"},
    {TYPED("report.nil_declared", "{\"metrics\":[\"delegations_out\",\"delegations_out\"],\"period\":\"H2025-1\"}"), DFA_ERR_SCHEMA,
     "data.metrics[1]: \"delegations_out\" repeats data.metrics[0]"},
    {TYPED("report.nil_declared", "{\"metrics\":[\"_events\"],\"period\":\"H2025-1\"}"), DFA_ERR_SCHEMA,
     "data.metrics[0]: expected the name of a catalog metric, got \"_events\""},
    /* input echoed in a message is escaped, and cut between characters */
    {ENV_PLUS("\"x\\nfake.ndjson:9: valid\":1"), DFA_ERR_SCHEMA, "x\\nfake.ndjson:9: valid: unknown envelope field"},
    {ENV_PLUS("\"" A10 A10 A10 "aaaaaaaaa\xc3\xa9z\":1"), DFA_ERR_SCHEMA, A10 A10 A10 "aaaaaaaaa...: unknown envelope field"},
    {DELEG("{\"" A10 A10 A10 "aaaaaaaa\xf0\x9f\x98\x80z\":1}"), DFA_ERR_SCHEMA,
     "data." A10 A10 A10 "aaaaaaaa...: unknown field for type delegation.out.approved"},
    {DELEG("{\"\\u001b[31m\":1}"), DFA_ERR_SCHEMA, "data.\\u001b[31m: unknown field for type delegation.out.approved"},
    {AID("{\"amount\":1,\"currency\":\"USD\",\"r\\\"\\\\\":1}"), DFA_ERR_SCHEMA,
     "data.value.r\\\"\\\\: unknown field (money has amount and currency)"},
    {ENV("\"schema_version\":1,\"event_id\":\"a\\\"b\\\\c\\n\\u0007\""), DFA_ERR_SCHEMA,
     "event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got \"a\\\"b\\\\c\\n\\u0007\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"x\\\"\\r\\u001b]0;t\\u0007\""), DFA_ERR_UNKNOWN_TYPE,
     "type: unknown event type \"x\\\"\\r\\u001b]0;t\\u0007\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\\nfake.ndjson:9: valid\""),
     DFA_ERR_TIME, "occurred_at: trailing characters in \"2025-06-30T20:00:00Z\\nfake.ndjson:9: val...\""},
    {ENV("\"schema_version\":1,\"event_id\":\"e1\",\"type\":\"training.held\",\"occurred_at\":\"2025-06-30T20:00:00Z\",\"province\":\"x\\nfake.ndjson:9: valid\""),
     DFA_ERR_PROVINCE, "province: \"x\\nfake.ndjson:9: valid\" is neither a code nor a name"},
    {"{\"a\":1\x1b}", DFA_ERR_JSON, "json: column 7: '}' expected near '\\u001b'"},
    {"{\"a\":\"\xc3\xa9\\\\\n\"}", DFA_ERR_JSON, /* jansson quotes the string so far, raw */
     "json: column 9: unexpected newline near '\\\"\xc3\xa9\\\\\\\\'"},
    /* plan periods: only those that hold days events can have */
    {TYPED("plan.target.set", "{\"metric\":\"delegations_out\",\"period\":\"Y2100\",\"value\":8}"), DFA_ERR_SCHEMA,
     "data.period: expected a period within 1990..2099, got \"Y2100\""},
    {TYPED("plan.target.set", "{\"metric\":\"delegations_out\",\"period\":\"M1989-12\",\"value\":8}"), DFA_ERR_SCHEMA,
     "data.period: expected a period within 1990..2099, got \"M1989-12\""},
    /* province not in force on the date */
    {"{\"event_id\":\"e1\",\"occurred_at\":\"2024-05-10T07:00:00Z\",\"province\":\"Tuyen Quang x\",\"reporter\":\"other\",\"schema_version\":1,\"type\":\"training.held\",\"data\":{}}",
     DFA_ERR_PROVINCE, "province: unknown province \"Tuyen Quang x\""},
};

static void test_invalid_events(void **state)
{
    const dfa_core *core = *state;
    size_t n = sizeof invalid_cases / sizeof invalid_cases[0];
    size_t failures = 0;
    assert_true(n >= 60);
    for (size_t i = 0; i < n; i++) {
        dfa_event *ev = NULL;
        dfa_error err = {0};
        dfa_status st = dfa_event_parse(core, invalid_cases[i].json, strlen(invalid_cases[i].json), &ev, &err);
        if (st != invalid_cases[i].code || strcmp(err.msg, invalid_cases[i].msg) != 0) {
            print_error("case %zu: %s\n  got  %s: %s\n  want %s: %s\n", i, invalid_cases[i].json, dfa_status_name(st),
                        err.msg, dfa_status_name(invalid_cases[i].code), invalid_cases[i].msg);
            failures++;
        }
        assert_null(ev);
    }
    assert_int_equal(failures, 0);
}

/* Inputs built at run time: sizes, nesting and bytes no literal holds well. */
static void test_hostile_inputs(void **state)
{
    const dfa_core *core = *state;
    dfa_event *ev = NULL;
    dfa_error err = {0};

    size_t big = 1 << 20;
    char *s = malloc(big + 64);
    memset(s, 'a', big + 64);
    memcpy(s, "{\"event_id\":\"", 13);
    memcpy(s + big + 40, "\"}", 3);
    assert_int_equal(dfa_event_parse(core, s, strlen(s), &ev, &err), DFA_ERR_LIMIT);
    assert_string_equal(err.msg, "event: 1048618 bytes, more than the limit of 65536");

    /* deep nesting inside the limit of bytes: jansson's depth guard answers */
    size_t depth = 30000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    assert_int_equal(dfa_event_parse(core, deep, strlen(deep), &ev, &err), DFA_ERR_JSON);
    assert_string_equal(err.msg, "json: column 2049: maximum parsing depth reached near '['");

    /* a 60 KB text field is within bounds of bytes but not of the field */
    char *text = malloc(61000);
    int n = snprintf(text, 61000, TYPED("delegation.out.cancelled", "{\"level\":\"departments\",\"change\":\"cancelled\",\"reason\":\"%s\"}"), "%s");
    (void)n;
    char *filled = malloc(62000);
    char *pad = malloc(60001);
    memset(pad, 'x', 60000);
    pad[60000] = '\0';
    snprintf(filled, 62000, text, pad);
    assert_int_equal(dfa_event_parse(core, filled, strlen(filled), &ev, &err), DFA_ERR_SCHEMA);
    assert_string_equal(err.msg, "data.reason: expected text of at most 1000 bytes, got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");

    /* every single byte value as the whole input */
    for (int b = 0; b < 256; b++) {
        char one = (char)b;
        assert_int_not_equal(dfa_event_parse(core, &one, 1, &ev, &err), DFA_OK);
    }
    /* a NUL inside the buffer ends nothing: it is an error, not a shorter event */
    static const char with_nul[] = DELEG(DELEG_OK) "\0junk";
    assert_int_equal(dfa_event_parse(core, with_nul, sizeof with_nul - 1, &ev, &err), DFA_ERR_JSON);
    free(s), free(deep), free(text), free(filled), free(pad);
}

/* The one escaping of echoed input (dfa_text_escape), byte by byte. */
static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len, cap;
        const char *out;
    } cases[] = {
        {"plain Hà Nội", 15, 64, "plain Hà Nội"},
        {"\"\\\n\r\t", 5, 64, "\\\"\\\\\\n\\r\\t"},
        {"a\0b\x1b\x7f", 5, 64, "a\\u0000b\\u001b\\u007f"},
        {"\xc2\x9b" "31m \xe2\x80\xa8", 9, 64, "\\u009b31m \\u2028"}, /* C1 CSI, line separator */
        {"\xff\xfe" "a\xc3" "b\xed\xa0\x80", 8, 64, "\\xff\\xfea\\xc3b\\xed\\xa0\\x80"}, /* a surrogate is invalid */
        {"abcdef", 6, 10, "abcdef"},     /* 6 bytes fit in cap - 4 */
        {"abcdefg", 7, 10, "abcdef..."}, /* 7 do not */
        {"abcde\xc3\xa9", 7, 10, "abcde..."},       /* not inside a 2-byte character */
        {"abc\xf0\x9f\x98\x80", 7, 10, "abc..."},   /* nor a 4-byte one */
        {"abcde\n", 6, 10, "abcde..."},             /* nor an escape */
        {"abc", 3, 3, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        assert_string_equal(dfa_text_escape(cases[i].in, cases[i].len, out, cases[i].cap), cases[i].out);
    }
    /* text that needs no escape but for quotes is printed as it is (dfa-check) */
    assert_true(dfa_text_is_plain("Hà Nội \"x\" \\", strlen("Hà Nội \"x\" \\")));
    assert_false(dfa_text_is_plain("a\nb", 3));
    assert_false(dfa_text_is_plain("a\xc2\x9b", 3));
    assert_false(dfa_text_is_plain("a\xff", 2));
}

/* A message longer than DFA_ERROR_MSG_MAX loses the rest of its last
 * character, never leaves half of it. */
static void test_messages_cut_between_characters(void **state)
{
    (void)state;
    char text[DFA_ERROR_MSG_MAX + 8], want[DFA_ERROR_MSG_MAX];
    dfa_error err;
    memset(text, 'a', sizeof text);
    memcpy(text + DFA_ERROR_MSG_MAX - 2, "\xc3\xa9", 3); /* é over the last byte */
    dfa_fail(&err, DFA_ERR_SCHEMA, "%s", text);
    memset(want, 'a', DFA_ERROR_MSG_MAX - 2);
    want[DFA_ERROR_MSG_MAX - 2] = '\0';
    assert_string_equal(err.msg, want);

    memcpy(text + DFA_ERROR_MSG_MAX - 4, "\xf0\x9f\x98\x80", 5); /* an emoji over the last byte */
    dfa_fail(&err, DFA_ERR_SCHEMA, "%s", text);
    want[DFA_ERROR_MSG_MAX - 4] = '\0';
    assert_string_equal(err.msg, want);

    memcpy(text + DFA_ERROR_MSG_MAX - 4, "\xc3\xa9" "b", 4); /* a character that fits stays */
    dfa_fail(&err, DFA_ERR_SCHEMA, "%s", text);
    assert_string_equal(err.msg + DFA_ERROR_MSG_MAX - 5, "a\xc3\xa9" "b");

    /* 305 bytes and ệ fit; with "file.ndjson: " before them ệ would start at byte 318 of 319 */
    dfa_fail(&err, DFA_ERR_SCHEMA, "%.*s\xe1\xbb\x87", DFA_ERROR_MSG_MAX - 15, text);
    dfa_error_prefix(&err, "file.ndjson");
    memset(want, 'a', DFA_ERROR_MSG_MAX - 2);
    memcpy(want, "file.ndjson: ", 13);
    want[DFA_ERROR_MSG_MAX - 2] = '\0';
    assert_string_equal(err.msg, want);
}

/* Cutting a valid event at every length must give an error, never a crash. */
static void test_every_prefix(void **state)
{
    const dfa_core *core = *state;
    static const char full[] = AID("{\"amount\":1500,\"currency\":\"USD\"}");
    for (size_t len = 0; len < sizeof full - 1; len++) {
        dfa_event *ev = NULL;
        assert_int_equal(dfa_event_parse(core, full, len, &ev, NULL), DFA_ERR_JSON);
    }
    dfa_event *ev = NULL;
    assert_int_equal(dfa_event_parse(core, full, sizeof full - 1, &ev, NULL), DFA_OK);
    dfa_event_free(ev);
}

static void test_valid_event_accessors(void **state)
{
    const dfa_core *core = *state;
    static const char json[] =
        "{\"event_id\":\"r-9\",\"type\":\"delegation.out.approved\",\"occurred_at\":\"2025-06-30T20:00:00Z\","
        "\"province\":\"An Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"op\":\"retract\","
        "\"ref\":\"e-1\",\"estimate\":true,\"data\":" DELEG_OK "}";
    dfa_event *ev = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_event_parse(core, json, strlen(json), &ev, &err), DFA_OK);
    assert_string_equal(dfa_event_id(ev), "r-9");
    assert_string_equal(dfa_event_subject_id(ev), "e-1");
    assert_true(dfa_event_is_retraction(ev));
    assert_true(dfa_event_is_estimate(ev));
    assert_string_equal(dfa_event_type_of(ev)->name, "delegation.out.approved");
    /* 20:00Z on 30 June is 1 July in Vietnam: the new An Giang */
    assert_string_equal(dfa_event_original_unit(ev)->unit_id, "91");
    assert_string_equal(dfa_event_current_unit(ev)->code, "91");
    assert_int_equal(dfa_event_time(ev)->local.month, 7);
    dfa_event_free(ev);
}

/* The fingerprint's bytes are fixed: Redis keeps the fingerprints of counted
 * events, and a later version must compute the same for a retraction's copy.
 * The value below is the first 64 bits of SHA-256 over
 * "border.marker.completed|42|1704184450|{\"border\":\"DE\",\"markers\":49}",
 * computed with Python's hashlib, not with this code. */
static void test_fingerprint_is_stable(void **state)
{
    const dfa_core *core = *state;
    static const char a[] = "{\"event_id\":\"lg42-0\",\"type\":\"border.marker.completed\",\"occurred_at\":"
                            "\"2024-01-02T08:34:10Z\",\"province\":\"42\",\"reporter\":\"peoples_committee_office\","
                            "\"schema_version\":1,\"data\":{\"border\":\"DE\",\"markers\":49}}";
    static const char b[] = "{\"data\":{\"markers\":49,\"border\":\"DE\"},\"event_id\":\"other\",\"type\":"
                            "\"border.marker.completed\",\"occurred_at\":\"2024-01-02T15:34:10+07:00\",\"province\":\"Hà Tĩnh\","
                            "\"reporter\":\"dept_tourism\",\"schema_version\":1}";
    dfa_event *ea = NULL, *eb = NULL;
    assert_int_equal(dfa_event_parse(core, a, strlen(a), &ea, NULL), DFA_OK);
    assert_int_equal(dfa_event_parse(core, b, strlen(b), &eb, NULL), DFA_OK);
    char fa[17], fb[17];
    dfa_event_fingerprint(ea, fa);
    dfa_event_fingerprint(eb, fb);
    assert_string_equal(fa, "d5523dea985f5de2");
    assert_string_equal(fb, fa); /* same content: id, reporter, key order and time zone do not count */
    dfa_event_free(ea);
    dfa_event_free(eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_events),
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_messages_cut_between_characters),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_valid_event_accessors),
        cmocka_unit_test(test_fingerprint_is_stable),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
