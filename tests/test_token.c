/* The gateway's token file (auth/dfa_token): parsing, the exact errors, the
 * secret check, and scopes with the provinces' lineage. */
#include "test_support.h"

#include "dfa_event.h"
#include "dfa_token.h"

/* The table of a file that must parse. */
static dfa_tokens *parse_ok(const dfa_core *core, const char *text)
{
    dfa_tokens *t = NULL;
    dfa_error err = {0};
    if (dfa_tokens_parse(text, strlen(text), "tokens", core, &t, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    return t;
}

static void expect_error(const dfa_core *core, const char *text, const char *want)
{
    dfa_tokens *t = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_tokens_parse(text, strlen(text), "tokens", core, &t, &err), DFA_ERR_CONFIG);
    assert_null(t);
    assert_string_equal(err.msg, want);
}

#define HASH "b2:00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_errors_name_the_line_and_field(void **state)
{
    const dfa_core *core = *state;
    expect_error(core, "# c\n\nx " HASH " 01 * publish extra\n",
                 "tokens:3: expected 5 fields (name, hash, provinces, reporters, rights), got 6");
    expect_error(core, "Hanoi " HASH " 01 * publish\n", "tokens:1: name: \"Hanoi\" is not 1-64 of [a-z0-9_-]");
    expect_error(core, "x b2:zz 01 * publish\n", "tokens:1: hash: expected b2:<32 hex digits>:<64 hex digits>");
    /* 02 (Hà Giang) ended on 30 June 2025: its events belong to 08's departments */
    expect_error(core, "x " HASH " 01,02 * publish\n", "tokens:1: provinces: \"02\" is not the code of a province of today");
    expect_error(core, "x " HASH " 1 * publish\n", "tokens:1: provinces: \"1\" is not the code of a province of today");
    expect_error(core, "x " HASH " 01 spy publish\n", "tokens:1: reporters: \"spy\" is not a reporter role of the catalog");
    expect_error(core, "x " HASH " 01 * write\n", "tokens:1: rights: \"write\" is not a right (publish, read)");
    expect_error(core, "x " HASH " 01 * publish\nx " HASH " 79 * read\n", "tokens:2: name: \"x\" is given twice");
}

static void test_secret_checked(void **state)
{
    const dfa_core *core = *state;
    char token[DFA_TOKEN_TEXT_MAX], hash[DFA_TOKEN_HASH_TEXT_MAX], other[DFA_TOKEN_TEXT_MAX], h2[DFA_TOKEN_HASH_TEXT_MAX];
    assert_true(dfa_token_generate("hanoi", token, hash));
    assert_true(dfa_token_generate("hanoi", other, h2));
    assert_false(dfa_token_generate("Ha Noi", other, h2));
    assert_int_equal(strlen(token), strlen("hanoi.") + 43);
    assert_int_equal(strlen(hash), DFA_TOKEN_HASH_TEXT_MAX - 1);
    char text[512];
    snprintf(text, sizeof text, "hanoi\t%s\t01\t*\tpublish\n", hash);
    dfa_tokens *t = parse_ok(core, text);
    const dfa_token *tok = dfa_tokens_verify(t, token);
    assert_non_null(tok);
    assert_string_equal(dfa_token_name(tok), "hanoi");
    assert_null(dfa_tokens_verify(t, other));        /* same name, another secret */
    token[strlen(token) - 1] ^= 1;
    assert_null(dfa_tokens_verify(t, token));        /* one character changed */
    assert_null(dfa_tokens_verify(t, "hanoi."));
    assert_null(dfa_tokens_verify(t, "hanoi"));
    assert_null(dfa_tokens_verify(t, ".abc"));
    assert_null(dfa_tokens_verify(t, "nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    dfa_tokens_unref(t);
}

static const dfa_unit *current_unit_of(const dfa_core *core, const char *province, const char *when)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"event_id\":\"e\",\"type\":\"delegation.out.approved\",\"occurred_at\":\"%s\",\"province\":\"%s\","
             "\"reporter\":\"police\",\"schema_version\":1,\"data\":{\"level\":\"provincial_leaders\",\"members\":1,"
             "\"countries\":[\"JP\"],\"in_plan\":true}}",
             when, province);
    dfa_event *ev = NULL;
    dfa_error err = {0};
    if (dfa_event_parse(core, json, strlen(json), &ev, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    const dfa_unit *u = dfa_event_current_unit(ev);
    dfa_event_free(ev);
    return u;
}

static void test_scopes(void **state)
{
    const dfa_core *core = *state;
    dfa_tokens *t = parse_ok(core, "tq " HASH " 08 dept_foreign_affairs,police publish,read\n"
                                   "ministry " HASH " * * read   # reads everything\n"
                                   "hn " HASH " 01,79 * publish\n");
    assert_int_equal(dfa_tokens_count(t), 3);
    const dfa_token *tq = dfa_tokens_find(t, "tq"), *min = dfa_tokens_find(t, "ministry"), *hn = dfa_tokens_find(t, "hn");
    /* an event of Hà Giang in 2024 belongs to Tuyên Quang (08) today */
    assert_true(dfa_token_allows_province(tq, current_unit_of(core, "Hà Giang", "2024-05-01T10:00:00+07:00")->code));
    assert_false(dfa_token_allows_province(hn, current_unit_of(core, "Hà Giang", "2024-05-01T10:00:00+07:00")->code));
    assert_true(dfa_token_allows_province(hn, current_unit_of(core, "Bình Dương", "2024-05-01T10:00:00+07:00")->code));
    assert_true(dfa_token_allows_province(hn, "01"));
    assert_false(dfa_token_allows_province(hn, "1"));
    assert_false(dfa_token_allows_province(hn, "abc"));
    assert_true(dfa_token_allows_province(min, "96"));
    assert_true(dfa_token_allows_reporter(tq, "police"));
    assert_false(dfa_token_allows_reporter(tq, "dept_tourism"));
    assert_true(dfa_token_allows_reporter(hn, "dept_tourism"));
    assert_true(dfa_token_has_right(tq, DFA_RIGHT_PUBLISH));
    assert_true(dfa_token_has_right(tq, DFA_RIGHT_READ));
    assert_false(dfa_token_has_right(min, DFA_RIGHT_PUBLISH));
    assert_string_equal(dfa_token_provinces_text(hn), "01,79");
    assert_string_equal(dfa_token_reporters_text(tq), "dept_foreign_affairs,police");
    assert_string_equal(dfa_token_rights_text(min), "read");
    /* a reference outlives the table's release, as a request outlives a reload */
    dfa_tokens *held = dfa_tokens_ref(t);
    dfa_tokens_unref(t);
    assert_string_equal(dfa_token_name(dfa_tokens_find(held, "tq")), "tq");
    dfa_tokens_unref(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_the_line_and_field),
        cmocka_unit_test(test_secret_checked),
        cmocka_unit_test(test_scopes),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
