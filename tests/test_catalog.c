/* The catalog: the shipped one is complete, and a broken one is a startup
 * error naming the file, the type and the key. */
#include "test_support.h"

#include <unistd.h>

#include "dfa_catalog.h"

#define METRICS "\"metrics\":{\"m\":{\"unit\":\"count\",\"label_vi\":\"M\",\"unit_vi\":\"cái\"},\"cash\":{\"unit\":\"money\",\"label_vi\":\"Tiền\"}}"
#define FIELDS "\"fields\":{\"n\":{\"type\":\"integer\",\"min\":0,\"max\":9},\"c\":{\"type\":\"country\"},\"v\":{\"type\":\"money\"},\"k\":{\"type\":\"id\"}}"
#define CASH_FEED "{\"metric\":\"cash\",\"kind\":\"flow\",\"value\":\"v\"}"
/* A catalog with type t.a whose feeds are given (cash is always fed once). */
#define WITH_FEEDS(feeds) "{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\"," FIELDS ",\"feeds\":[" CASH_FEED "," feeds "]}}}"
#define GOOD_FEED "{\"metric\":\"m\",\"kind\":\"flow\",\"value\":\"n\"}"

static const struct {
    const char *json, *msg;
} bad_catalogs[] = {
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"sum\"}"), "type t.a: feeds[1].kind: unknown kind \"sum\" (flow, stock, gauge, distinct)"},
    {WITH_FEEDS(GOOD_FEED ",{\"metric\":\"m\",\"kind\":\"stock\"}"), "type t.a: feeds[2]: metric m is fed as stock here but as flow elsewhere"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"by\":[\"x\"]}"), "type t.a: feeds[1].by[0]: no field \"x\" in this type"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"by\":[\"n\"]}"),
     "type t.a: feeds[1].by[0]: field n is integer; breakdowns take enum, boolean, country or country_list"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"by\":\"c\"}"), "type t.a: feeds[1].by: expected an array of field names"},
    {WITH_FEEDS("{\"metric\":\"nope\",\"kind\":\"flow\"}"), "type t.a: feeds[1].metric: unknown metric \"nope\""},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"value\":\"v\"}"), "type t.a: feeds[1].value: metric m is a count; field v is money"},
    {WITH_FEEDS(GOOD_FEED ",{\"metric\":\"cash\",\"kind\":\"flow\",\"value\":\"n\"}"),
     "type t.a: feeds[2].value: metric cash is money and needs a money field"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"distinct\"}"), "type t.a: feeds[1].id: a distinct feed needs an id field of this type"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"distinct\",\"id\":\"n\"}"), "type t.a: feeds[1].id: field n of type integer cannot be counted as ids"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"gauge\"}"), "type t.a: feeds[1].value: a gauge needs an integer value field"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"sign\":-1}"), "type t.a: feeds[1].sign: only a stock can be decreased (sign -1)"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"stock\",\"sign\":2}"), "type t.a: feeds[1].sign: expected 1 or -1"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"value\":\"zz\"}"), "type t.a: feeds[1].value: no such field in this type"},
    {WITH_FEEDS("{\"metric\":\"m\",\"kind\":\"flow\",\"weight\":2}"), "type t.a: feeds[1]: unknown key \"weight\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\"," FIELDS ",\"feeds\":[" CASH_FEED "]}}}",
     "metric m: no type feeds it"},
    {"{\"catalog_version\":2}", "catalog_version: this build reads version 1, got 2"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{},\"extra\":1}", "catalog: unknown key \"extra\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{}}", "types: expected a non-empty object"},
    {"{\"catalog_version\":1,\"reporters\":[\"R!\"]," METRICS ",\"types\":{}}", "reporters[0]: expected a name of [a-z0-9_]"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"],\"metrics\":{\"m\":{\"unit\":\"kg\",\"label_vi\":\"M\"}},\"types\":{}}",
     "metric m.unit: expected \"count\" or \"money\", got \"kg\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"],\"metrics\":{\"m\":{\"unit\":\"count\"}},\"types\":{}}", "metric m: missing key \"label_vi\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\",\"fields\":{\"n\":{\"type\":\"float\"}},\"feeds\":[]}}}",
     "type t.a: fields.n.type: unknown field type \"float\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\",\"fields\":{\"n\":{\"type\":\"integer\",\"max\":3}},\"feeds\":[]}}}",
     "type t.a: fields.n: missing key \"min\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\",\"fields\":{\"e\":{\"type\":\"enum\"}},\"feeds\":[]}}}",
     "type t.a: fields.e.values: an enum needs a non-empty array"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\",\"fields\":{\"e\":{\"type\":\"enum\",\"values\":[\"a\",\"a\"]}},\"feeds\":[]}}}",
     "type t.a: fields.e.values[1]: \"a\" appears twice"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\"," FIELDS ",\"feeds\":[]}}}",
     "type t.a: feeds: expected a non-empty array"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"t.a\":{\"label_vi\":\"A\",\"colour\":\"red\"}}}", "type t.a: unknown key \"colour\""},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"p\":{\"label_vi\":\"P\",\"handler\":\"plan\",\"fields\":{\"metric\":{\"type\":\"metric\",\"required\":true}}}}}",
     "type p: fields.period: this handler needs a required period field"},
    {"{\"catalog_version\":1,\"reporters\":[\"r\"]," METRICS ",\"types\":{\"p\":{\"label_vi\":\"P\",\"handler\":\"magic\"}}}",
     "type p.handler: unknown handler \"magic\" (feeds, plan, nil)"},
    {"{\"catalog_version\":1,\"catalog_version\":1}", "line 1 column 38: duplicate object key near '\"catalog_version\"'"},
    {"{\"catalog_version\":1,", "line 1 column 21: string or '}' expected near end of file"},
};

static void test_bad_catalogs(void **state)
{
    (void)state;
    char path[] = "/tmp/dfa-catalog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    size_t failures = 0;
    for (size_t i = 0; i < sizeof bad_catalogs / sizeof bad_catalogs[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad_catalogs[i].json, f);
        fclose(f);
        dfa_catalog *c = NULL;
        dfa_error err = {0};
        char want[600];
        snprintf(want, sizeof want, "%s: %s", path, bad_catalogs[i].msg);
        dfa_status st = dfa_catalog_load(path, &c, &err);
        if (st != DFA_ERR_CATALOG || strcmp(err.msg, want) != 0) {
            print_error("case %zu:\n  got  %s: %s\n  want %s\n", i, dfa_status_name(st), err.msg, want);
            failures++;
        }
        assert_null(c);
    }
    unlink(path);
    assert_int_equal(failures, 0);
}

static void test_missing_file(void **state)
{
    (void)state;
    dfa_catalog *c = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_catalog_load("/nonexistent/catalog.json", &c, &err), DFA_ERR_CATALOG);
    assert_string_equal(err.msg, "/nonexistent/catalog.json: line -1 column -1: unable to open /nonexistent/catalog.json: No such file or directory");
}

/* The shipped catalog covers the figure families of DOMAIN.md. */
static void test_shipped_catalog(void **state)
{
    const dfa_catalog *c = dfa_core_catalog(*state);
    static const char *const families[] = {
        "delegation.out.approved", "delegation.in.received", "agreement.signed", "conference.held",
        "trade_promotion.held", "fdi.project.licensed", "oda.allocated", "ngo.registered", "ngo.aid.pledged",
        "ngo.aid.disbursed", "culture.event.held", "foreign_press.visit", "external_info.published",
        "citizen_protection.case.opened", "citizen_protection.case.closed", "foreign_national.incident",
        "border.marker.completed", "border.incident", "remains.repatriated", "overseas_vietnamese.engagement",
        "overseas_vietnamese.population.reported", "friendship.activity.held", "friendship.membership.reported",
        "training.held", "inspection.conducted", "plan.target.set", "report.nil_declared"};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (!dfa_catalog_type(c, families[i]))
            fail_msg("type %s missing", families[i]);
    assert_true(dfa_catalog_type_count(c) >= 25);
    for (size_t i = 0; i < dfa_catalog_metric_count(c); i++) {
        const dfa_metric *m = dfa_catalog_metric_at(c, i);
        assert_true(strlen(m->label_vi) > 0);
        assert_true(m->kind < DFA_KIND_PLAN);
    }
    assert_int_equal(dfa_catalog_metric(c, "fdi_projects_in_force")->kind, DFA_KIND_STOCK);
    assert_int_equal(dfa_catalog_metric(c, "ov_population")->kind, DFA_KIND_GAUGE);
    assert_int_equal(dfa_catalog_metric(c, "partner_countries")->kind, DFA_KIND_DISTINCT);
    assert_true(dfa_catalog_metric(c, "ngo_aid_pledged")->money);
    assert_int_equal(dfa_catalog_type(c, "plan.target.set")->handler, DFA_HANDLER_PLAN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_catalogs),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_shipped_catalog),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
