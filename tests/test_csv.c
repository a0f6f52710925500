/* CSV events (dfa_csv): a row gives the event its NDJSON line gives, every
 * field kind converted by the catalog, and every bad input its exact error. */
#include "test_support.h"

#include <jansson.h>

#include "dfa_csv.h"
#include "dfa_event.h"

#define HEADER "event_id,type,occurred_at,province,reporter"
#define ENVELOPE(id, type) id "," type ",2024-05-10T07:00:00Z,Kien Giang,dept_foreign_affairs"

/* Reads every row of csv into texts (json_dumps, caller frees), results and
 * lines; returns how many calls returned something other than DFA_CSV_END. */
typedef struct {
    dfa_csv_result res[16];
    size_t line[16];
    char *text[16];
    dfa_error err[16];
    size_t n;
} rows;

static void read_all(const dfa_core *core, const char *csv, size_t len, rows *out)
{
    dfa_csv *r = dfa_csv_from_buffer(dfa_core_catalog(core), csv, len);
    assert_non_null(r);
    memset(out, 0, sizeof *out);
    for (;;) {
        json_t *ev;
        size_t i = out->n;
        assert_true(i < 16);
        dfa_csv_result res = dfa_csv_next(r, &ev, &out->line[i], &out->err[i]);
        if (res == DFA_CSV_END)
            break;
        out->res[i] = res;
        if (res == DFA_CSV_EVENT) {
            out->text[i] = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(ev);
        } else {
            assert_null(ev);
        }
        out->n++;
    }
    assert_int_equal(dfa_csv_next(r, &(json_t *){NULL}, &(size_t){0}, &(dfa_error){0}), DFA_CSV_END);
    dfa_csv_free(r);
}

static void free_rows(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->text[i]);
}

/* The one row of csv parses to the same event as the NDJSON line. */
static void same_event(const dfa_core *core, const char *csv, const char *ndjson)
{
    rows r;
    read_all(core, csv, strlen(csv), &r);
    assert_int_equal(r.n, 1);
    if (r.res[0] != DFA_CSV_EVENT)
        fail_msg("row not read: %s", r.err[0].msg);
    dfa_event *a = NULL, *b = NULL;
    dfa_error err = {0};
    if (dfa_event_parse(core, r.text[0], strlen(r.text[0]), &a, &err) != DFA_OK)
        fail_msg("csv row invalid: %s (%s)", err.msg, r.text[0]);
    assert_int_equal(dfa_event_parse(core, ndjson, strlen(ndjson), &b, &err), DFA_OK);
    char fa[17], fb[17];
    dfa_event_fingerprint(a, fa);
    dfa_event_fingerprint(b, fb);
    assert_string_equal(fa, fb);
    assert_string_equal(dfa_event_id(a), dfa_event_id(b));
    assert_ptr_equal(dfa_event_type_of(a), dfa_event_type_of(b));
    assert_ptr_equal(dfa_event_original_unit(a), dfa_event_original_unit(b));
    assert_int_equal(dfa_event_time(a)->utc_seconds, dfa_event_time(b)->utc_seconds);
    assert_int_equal(dfa_event_is_retraction(a), dfa_event_is_retraction(b));
    assert_int_equal(dfa_event_is_estimate(a), dfa_event_is_estimate(b));
    assert_true(json_equal((json_t *)dfa_event_data(a), (json_t *)dfa_event_data(b)));
    dfa_event_free(a);
    dfa_event_free(b);
    free_rows(&r);
}

static void test_integer_enum_list_boolean(void **state)
{
    same_event(*state,
               HEADER ",data.level,data.members,data.countries,data.in_plan\r\n" ENVELOPE("e1", "delegation.out.approved")
               ",provincial_leaders,5,JP;KR,TRUE\r\n",
               "{\"event_id\":\"e1\",\"type\":\"delegation.out.approved\",\"occurred_at\":\"2024-05-10T07:00:00Z\","
               "\"province\":\"Kien Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,"
               "\"data\":{\"level\":\"provincial_leaders\",\"members\":5,\"countries\":[\"JP\",\"KR\"],\"in_plan\":true}}");
}

static void test_money_id_country(void **state)
{
    /* a BOM, LF endings, no final newline, columns in another order */
    same_event(*state,
               "\xEF\xBB\xBF" "data.value.currency,data.value.amount,data.donor_id,data.donor_country,data.form,data.sector,"
               HEADER "\nUSD,150000,ngo-lotus,JP,project,health," ENVELOPE("e2", "ngo.aid.pledged"),
               "{\"event_id\":\"e2\",\"type\":\"ngo.aid.pledged\",\"occurred_at\":\"2024-05-10T07:00:00Z\","
               "\"province\":\"Kien Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{"
               "\"donor_id\":\"ngo-lotus\",\"donor_country\":\"JP\",\"form\":\"project\",\"sector\":\"health\","
               "\"value\":{\"amount\":150000,\"currency\":\"USD\"}}}");
}

static void test_text_quoted(void **state)
{
    /* a quoted cell with a comma, a doubled quote, a newline and UTF-8; an empty optional cell */
    same_event(*state,
               HEADER ",data.level,data.change,data.reason,estimate\n" ENVELOPE("e3", "delegation.out.cancelled")
               ",departments,adjusted,\"Đối tác đổi lịch, \"\"tạm hoãn\"\"\nđến quý sau\",\n",
               "{\"event_id\":\"e3\",\"type\":\"delegation.out.cancelled\",\"occurred_at\":\"2024-05-10T07:00:00Z\","
               "\"province\":\"Kien Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{"
               "\"level\":\"departments\",\"change\":\"adjusted\",\"reason\":\"Đối tác đổi lịch, \\\"tạm hoãn\\\"\\nđến quý sau\"}}");
}

static void test_metric_period_plan(void **state)
{
    same_event(*state,
               HEADER ",schema_version,data.metric,data.period,data.value,data.amount.amount,data.amount.currency\n"
               ENVELOPE("e4", "plan.target.set") ",1,delegations_out,Y2024,40,,\n",
               "{\"event_id\":\"e4\",\"type\":\"plan.target.set\",\"occurred_at\":\"2024-05-10T07:00:00Z\","
               "\"province\":\"Kien Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"data\":{"
               "\"metric\":\"delegations_out\",\"period\":\"Y2024\",\"value\":40}}");
}

static void test_metric_list_retraction(void **state)
{
    same_event(*state,
               HEADER ",op,ref,estimate,data.metrics,data.period\n" ENVELOPE("e5", "report.nil_declared")
               ",retract,e0,false,delegations_out;delegations_in,H2024-1\n",
               "{\"event_id\":\"e5\",\"type\":\"report.nil_declared\",\"occurred_at\":\"2024-05-10T07:00:00Z\","
               "\"province\":\"Kien Giang\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,\"op\":\"retract\","
               "\"ref\":\"e0\",\"estimate\":false,\"data\":{\"metrics\":[\"delegations_out\",\"delegations_in\"],\"period\":\"H2024-1\"}}");
}

/* Row-level failures of the event are the validator's own reasons. */
static void test_validator_reasons(void **state)
{
    const char *csv = HEADER ",data.level,data.members,data.countries\n"
                      ENVELOPE("e1", "delegation.out.approved") ",departments,ba,JP\n"
                      ENVELOPE("e2", "delegation.out.approved") ",departments,3,JP;;KR\n"
                      ENVELOPE("e3", "delegation.out.approved") ",departments,99999999999999999999,JP\n"
                      ENVELOPE("e4", "delegation.out.approved") ",departments,,JP\n"
                      ENVELOPE("e5", "delegation.teleported") ",departments,3,JP\n";
    const char *want[] = {"data.members: expected integer 1..10000, got \"ba\"",
                          "data.countries[1]: expected an ISO 3166-1 alpha-2 country code such as \"JP\", got \"\"",
                          "data.members: expected integer 1..10000, got \"99999999999999999999\"",
                          "data.members: required for type delegation.out.approved",
                          "type: unknown event type \"delegation.teleported\""};
    rows r;
    read_all(*state, csv, strlen(csv), &r);
    assert_int_equal(r.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(r.res[i], DFA_CSV_EVENT);
        assert_int_equal(r.line[i], i + 2);
        dfa_event *ev = NULL;
        dfa_error err = {0};
        assert_int_not_equal(dfa_event_parse(*state, r.text[i], strlen(r.text[i]), &ev, &err), DFA_OK);
        assert_string_equal(err.msg, want[i]);
    }
    free_rows(&r);
}

typedef struct {
    const char *csv;
    dfa_csv_result res; /* of the first call after the rows that read well */
    size_t line;
    dfa_status code;
    const char *msg;
} bad_case;

#define DELEG_HEADER HEADER ",data.level,data.members,data.countries\n"
#define DELEG_ROW(id) ENVELOPE(id, "delegation.out.approved") ",departments,3,JP\n"

static const bad_case bad_cases[] = {
    {HEADER ",data.level,data.countries\n" ENVELOPE("e1", "delegation.out.approved") ",departments,JP\n", DFA_CSV_STOP, 1, DFA_ERR_CSV,
     "header: missing column \"data.members\", required for type delegation.out.approved"},
    {"event_id,type,occurred_at,reporter\n", DFA_CSV_STOP, 1, DFA_ERR_CSV, "header: missing column \"province\" (required)"},
    {DELEG_HEADER "\n" ENVELOPE("e1", "delegation.out.approved") ",departments,3\n", DFA_CSV_INVALID, 3, DFA_ERR_CSV,
     "expected 8 cells as in the header, got 7"},
    {HEADER ",data.level,data.members,data.countries,data.colour\n" ENVELOPE("e1", "delegation.out.approved") ",departments,3,JP,red\n",
     DFA_CSV_STOP, 1, DFA_ERR_CSV, "header: unknown column \"data.colour\" for type delegation.out.approved"},
    {HEADER ",colour\n", DFA_CSV_STOP, 1, DFA_ERR_CSV,
     "header: column 6: unknown column \"colour\" (envelope fields by name, data fields as data.<field>)"},
    {HEADER ",province\n", DFA_CSV_STOP, 1, DFA_ERR_CSV, "header: column 6: \"province\" is also column 4"},
    {HEADER ",data.value,data.donor_id,data.form,data.sector\n" ENVELOPE("e1", "ngo.aid.pledged") ",1,d,project,health\n",
     DFA_CSV_STOP, 1, DFA_ERR_CSV, "header: data.value is money: give it as two columns, data.value.amount and data.value.currency"},
    {HEADER ",data.location,data.sales.amount\n" ENVELOPE("e1", "trade_promotion.held") ",abroad,5\n", DFA_CSV_STOP, 1,
     DFA_ERR_CSV, "header: missing column \"data.sales.currency\" (money takes both)"},
    {DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",\"depart\"ments,3,JP\n", DFA_CSV_INVALID, 2, DFA_ERR_CSV,
     "cell 6 (data.level): text after the closing quote (a quote inside a quoted cell is written \"\")"},
    {DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",depart\"ments,3,JP\n", DFA_CSV_INVALID, 2, DFA_ERR_CSV,
     "cell 6 (data.level): a quote inside an unquoted cell (quote the whole cell and write the quote as \"\")"},
    {DELEG_HEADER "\n\n" ENVELOPE("e1", "delegation.out.approved") ",\"departments,3,JP\nmore\n", DFA_CSV_INVALID, 4,
     DFA_ERR_CSV, "cell 6 (data.level): the quote opened on line 4 is never closed"},
    {DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",depart\xffments,3,JP\n", DFA_CSV_INVALID, 2, DFA_ERR_CSV,
     "cell 6 (data.level): not valid UTF-8 text: \"depart\\xffments\""},
    {DELEG_HEADER ENVELOPE("e1\x1b[31m", "delegation.out.approved") ",departments,3,JP\n", DFA_CSV_EVENT, 2, DFA_OK, ""},
    {DELEG_HEADER DELEG_ROW("e1") ENVELOPE("e2", "agreement.signed") ",departments,3,JP\n", DFA_CSV_INVALID, 3, DFA_ERR_CSV,
     "type: agreement.signed in a file of delegation.out.approved events (one type per file)"},
};

static void test_bad_input(void **state)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        rows r;
        read_all(*state, c->csv, strlen(c->csv), &r);
        size_t k = 0;
        while (k < r.n && r.res[k] == DFA_CSV_EVENT && c->res != DFA_CSV_EVENT)
            k++;
        if (k == r.n)
            fail_msg("case %zu: no failure", i);
        if (r.res[k] != c->res || r.line[k] != c->line || (c->code && (r.err[k].code != c->code || strcmp(r.err[k].msg, c->msg))))
            fail_msg("case %zu: got result %d line %zu [%s] want %d line %zu [%s]", i, r.res[k], r.line[k], r.err[k].msg,
                     c->res, c->line, c->msg);
        free_rows(&r);
    }
}

/* A control character in a cell reaches the validator, which escapes it. */
static void test_echo_escaped(void **state)
{
    const char *csv = DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",\"x\ny\",3,JP\n";
    rows r;
    read_all(*state, csv, strlen(csv), &r);
    assert_int_equal(r.n, 1);
    dfa_event *ev = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_event_parse(*state, r.text[0], strlen(r.text[0]), &ev, &err), DFA_ERR_SCHEMA);
    assert_non_null(strstr(err.msg, "got \"x\\ny\""));
    free_rows(&r);
}

/* The bounds: cells, columns and rows too large are refused, and reading goes on. */
static void test_limits(void **state)
{
    size_t big = DFA_CSV_MAX_CELL_BYTES + 10;
    char *csv = malloc(big + 4096);
    int n = sprintf(csv, DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",");
    memset(csv + n, 'a', big);
    n += (int)big;
    n += sprintf(csv + n, ",3,JP\n" DELEG_ROW("e2"));
    rows r;
    read_all(*state, csv, (size_t)n, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.res[0], DFA_CSV_INVALID);
    assert_int_equal(r.err[0].code, DFA_ERR_LIMIT);
    assert_string_equal(r.err[0].msg, "cell 6 (data.level): more than 8192 bytes");
    assert_int_equal(r.res[1], DFA_CSV_EVENT);
    assert_int_equal(r.line[1], 3);
    free_rows(&r);

    n = sprintf(csv, DELEG_HEADER);
    for (int i = 0; i < DFA_CSV_MAX_COLUMNS + 1; i++)
        n += sprintf(csv + n, "x,");
    n += sprintf(csv + n, "\n" DELEG_ROW("e3"));
    read_all(*state, csv, (size_t)n, &r);
    assert_int_equal(r.res[0], DFA_CSV_INVALID);
    assert_string_equal(r.err[0].msg, "row: more than 64 cells");
    assert_int_equal(r.res[1], DFA_CSV_EVENT);
    free_rows(&r);
    free(csv);

    /* a row of many cells each under the cell limit, together over the row limit */
    size_t cap = DFA_CSV_MAX_RECORD_BYTES + 8192;
    csv = malloc(cap);
    n = sprintf(csv, DELEG_HEADER ENVELOPE("e1", "delegation.out.approved") ",departments,3,\"");
    while ((size_t)n < DFA_CSV_MAX_RECORD_BYTES + 100)
        n += sprintf(csv + n, "JP;");
    n += sprintf(csv + n, "\"\n");
    read_all(*state, csv, (size_t)n, &r);
    assert_int_equal(r.res[0], DFA_CSV_INVALID);
    assert_int_equal(r.err[0].code, DFA_ERR_LIMIT);
    free_rows(&r);
    free(csv);
}

/* A file read in chunks gives what the buffer gives, CR LF split across chunks included. */
static void test_file_matches_buffer(void **state)
{
    size_t cap = 300000;
    char *csv = malloc(cap);
    int n = sprintf(csv, DELEG_HEADER);
    for (int i = 0; (size_t)n < cap - 200; i++)
        n += sprintf(csv + n, ENVELOPE("e%d", "delegation.out.approved") ",departments,3,\"JP;KR\"\r\n", i);
    FILE *f = fmemopen(csv, (size_t)n, "r");
    dfa_csv *a = dfa_csv_from_file(dfa_core_catalog(*state), f);
    dfa_csv *b = dfa_csv_from_buffer(dfa_core_catalog(*state), csv, (size_t)n);
    size_t rows_read = 0;
    for (;;) {
        json_t *ea, *eb;
        size_t la, lb;
        dfa_error err;
        dfa_csv_result ra = dfa_csv_next(a, &ea, &la, &err), rb = dfa_csv_next(b, &eb, &lb, &err);
        assert_int_equal(ra, rb);
        if (ra == DFA_CSV_END)
            break;
        assert_int_equal(ra, DFA_CSV_EVENT);
        assert_int_equal(la, lb);
        assert_true(json_equal(ea, eb));
        json_decref(ea);
        json_decref(eb);
        rows_read++;
    }
    assert_true(rows_read > 2000);
    dfa_csv_free(a);
    dfa_csv_free(b);
    fclose(f);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_enum_list_boolean),
        cmocka_unit_test(test_money_id_country),
        cmocka_unit_test(test_text_quoted),
        cmocka_unit_test(test_metric_period_plan),
        cmocka_unit_test(test_metric_list_retraction),
        cmocka_unit_test(test_validator_reasons),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_echo_escaped),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_file_matches_buffer),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
