/* Province matching with lineage: every old and current code and name. */
#include "test_support.h"

#include "dfa_province.h"
#include "dfa_text.h"

#include <unistd.h>

/* Where each of the 63 pre-2025 units went on 1 July 2025 (Resolution
 * 202/2025/QH15, codes of Decision 19/2025/QĐ-TTg), written out here rather
 * than read from provinces.csv so the table is checked against it. */
static const char *const old_to_new[63][2] = {
    {"01", "01"}, {"02", "08"}, {"04", "04"}, {"06", "19"}, {"08", "08"}, {"10", "15"}, {"11", "11"},
    {"12", "12"}, {"14", "14"}, {"15", "15"}, {"17", "25"}, {"19", "19"}, {"20", "20"}, {"22", "22"},
    {"24", "24"}, {"25", "25"}, {"26", "25"}, {"27", "24"}, {"30", "31"}, {"31", "31"}, {"33", "33"},
    {"34", "33"}, {"35", "37"}, {"36", "37"}, {"37", "37"}, {"38", "38"}, {"40", "40"}, {"42", "42"},
    {"44", "44"}, {"45", "44"}, {"46", "46"}, {"48", "48"}, {"49", "48"}, {"51", "51"}, {"52", "52"},
    {"54", "66"}, {"56", "56"}, {"58", "56"}, {"60", "68"}, {"62", "51"}, {"64", "52"}, {"66", "66"},
    {"67", "68"}, {"68", "68"}, {"70", "75"}, {"72", "80"}, {"74", "79"}, {"75", "75"}, {"77", "79"},
    {"79", "79"}, {"80", "80"}, {"82", "82"}, {"83", "86"}, {"84", "86"}, {"86", "86"}, {"87", "82"},
    {"89", "91"}, {"91", "91"}, {"92", "92"}, {"93", "92"}, {"94", "92"}, {"95", "96"}, {"96", "96"},
};

#define A10 "aaaaaaaaaa"

static const dfa_date before = {2024, 5, 10}, after = {2026, 3, 1};

static void expect(const dfa_provinces *p, const char *text, dfa_date on, const char *current, const char *original)
{
    const dfa_unit *cur = NULL, *orig = NULL;
    dfa_error err = {0};
    if (dfa_provinces_resolve(p, text, on, &cur, &orig, &err) != DFA_OK)
        fail_msg("\"%s\" on %04d-%02d-%02d: %s", text, on.year, on.month, on.day, err.msg);
    if (strcmp(cur->code, current) != 0 || strcmp(orig->unit_id, original) != 0)
        fail_msg("\"%s\" on %04d-%02d-%02d: got %s/%s, want %s/%s", text, on.year, on.month, on.day, cur->code,
                 orig->unit_id, current, original);
}

/* Before 1 July 2025 the unit in force is the old one; its id ends in x when
 * the code lives on in a new unit. */
static const char *old_unit_id(const dfa_provinces *p, const char *code)
{
    for (size_t i = 0; i < dfa_provinces_count(p); i++) {
        const dfa_unit *u = dfa_provinces_row(p, i);
        if (strcmp(u->code, code) == 0 && (!u->has_from || u->valid_from.year < 2025))
            return u->unit_id;
    }
    return NULL;
}

static void test_counts(void **state)
{
    const dfa_provinces *p = dfa_core_provinces(*state);
    assert_int_equal(dfa_provinces_current_count(p), 34);
    size_t old_units = 0;
    for (size_t i = 0; i < dfa_provinces_count(p); i++) {
        const dfa_unit *u = dfa_provinces_row(p, i);
        if (!u->has_from || u->valid_from.year < 2025)
            old_units++;
    }
    assert_int_equal(old_units, 63); /* the units of 2024, Thừa Thiên Huế among them */
    assert_int_equal(dfa_provinces_count(p), 63 + 34 - 10); /* ten units kept one row through 2025 */
}

static void test_old_codes_before_and_after(void **state)
{
    const dfa_provinces *p = dfa_core_provinces(*state);
    for (size_t i = 0; i < 63; i++) {
        const char *code = old_to_new[i][0], *now = old_to_new[i][1];
        expect(p, code, before, now, old_unit_id(p, code));
        /* an old code after the merger: today's unit, which is also the unit in force */
        expect(p, code, after, now, now);
    }
}

static void test_every_name_every_spelling(void **state)
{
    const dfa_provinces *p = dfa_core_provinces(*state);
    for (size_t i = 0; i < dfa_provinces_count(p); i++) {
        const dfa_unit *u = dfa_provinces_row(p, i);
        dfa_date on = u->has_to ? u->valid_to : after;
        char upper[128], prefixed[160];
        size_t k = 0;
        for (; u->name_ascii[k] && k + 1 < sizeof upper; k++)
            upper[k] = (char)(u->name_ascii[k] >= 'a' && u->name_ascii[k] <= 'z' ? u->name_ascii[k] - 32 : u->name_ascii[k]);
        upper[k] = '\0';
        snprintf(prefixed, sizeof prefixed, "%s %s", u->is_city ? "Thành phố" : "Tỉnh", u->name);
        expect(p, u->name, on, u->current->code, u->unit_id);
        expect(p, u->name_ascii, on, u->current->code, u->unit_id);
        expect(p, upper, on, u->current->code, u->unit_id);
        expect(p, prefixed, on, u->current->code, u->unit_id);
    }
}

static void test_examples_of_domain(void **state)
{
    const dfa_provinces *p = dfa_core_provinces(*state);
    expect(p, "Kiên Giang", before, "91", "91x");
    expect(p, "An Giang", (dfa_date){2024, 5, 11}, "91", "89x");
    expect(p, "An Giang", (dfa_date){2022, 1, 1}, "91", "89x");
    expect(p, "An Giang", after, "91", "91");
    expect(p, "Kien Giang", after, "91", "91"); /* a name of the past, used today */
    expect(p, "Gia Lai", before, "52", "64x");
    expect(p, "Gia Lai", after, "52", "52");
    expect(p, "Bình Định", before, "52", "52x");
    expect(p, "Quảng Bình", after, "44", "44");
    expect(p, "Thừa Thiên Huế", (dfa_date){2024, 12, 31}, "46", "46x");
    expect(p, "Huế", (dfa_date){2025, 1, 1}, "46", "46");
    expect(p, "Hue", (dfa_date){2024, 6, 1}, "46", "46x"); /* today's name for a date before it */
    expect(p, "TP. Hồ Chí Minh", before, "79", "79x");
    expect(p, "TP HCM", after, "79", "79");
    expect(p, "ba ria-vung tau", before, "79", "77x");
    expect(p, "BÀ RỊA - VŨNG TÀU", before, "79", "77x");
    expect(p, "1", after, "01", "01");
    /* NFD input: "Đắk Lắk" with combining marks */
    expect(p, "\xc4\x90" "a\xcc\x86\xcc\x81k La\xcc\x86\xcc\x81k", before, "66", "66x");
    /* spaces, hyphens, case and diacritics are free; a dot only in "TP." */
    static const char *const hanoi[] = {"ha noi", "HÀ NỘI", "Hà-Nội", "Ha  Noi", " Hà Nội ", "TP. Hà Nội",
                                        "Hà\xc2\xa0Nội" /* no-break space */};
    for (size_t i = 0; i < sizeof hanoi / sizeof hanoi[0]; i++)
        expect(p, hanoi[i], after, "01", "01");
    expect(p, "Tp.HCM", after, "79", "79");
    expect(p, "tp.hồ chí minh", after, "79", "79");
    expect(p, "Bà Rịa \xe2\x80\x93 Vũng Tàu", before, "79", "77x"); /* en dash */
}

static void test_unknown(void **state)
{
    const dfa_provinces *p = dfa_core_provinces(*state);
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"Atlantis", "province: unknown province \"Atlantis\""},
        {"99", "province: unknown province \"99\""},
        {"03", "province: unknown province \"03\""},
        {"", "province: \"\" is neither a code nor a name"},
        {"---", "province: \"---\" is neither a code nor a name"},
        {"\xff\xfe", "province: \"\\xff\\xfe\" is neither a code nor a name"},
        {"123", "province: unknown province \"123\""},
        /* what a message echoes is escaped, and cut between characters */
        {"x\nfake.ndjson:9: valid", "province: \"x\\nfake.ndjson:9: valid\" is neither a code nor a name"},
        {"Ha \"Noi\"", "province: \"Ha \\\"Noi\\\"\" is neither a code nor a name"},
        {"\x1b[2J\x1b[H", "province: \"\\u001b[2J\\u001b[H\" is neither a code nor a name"},
        {"Ha\xc3 Noi", "province: \"Ha\\xc3 Noi\" is neither a code nor a name"},
        {A10 A10 A10 "aaaaaaaaa\xc3\xa9z", "province: unknown province \"" A10 A10 A10 "aaaaaaaaa...\""},
        {A10 A10 A10 "aaaaaaa\xf0\x9f\x98\x80", "province: \"" A10 A10 A10 "aaaaaaa...\" is neither a code nor a name"},
        /* stray symbols make no name */
        {"H.a.N.o.i!!", "province: \"H.a.N.o.i!!\" is neither a code nor a name"},
        {"Ha Noi;", "province: \"Ha Noi;\" is neither a code nor a name"},
        {"H\xc3\xa0 N\xe1\xbb\x99i \xf0\x9f\x8c\x9f", "province: \"H\xc3\xa0 N\xe1\xbb\x99i \xf0\x9f\x8c\x9f\" is neither a code nor a name"},
        {"Ha\tNoi", "province: \"Ha\\tNoi\" is neither a code nor a name"},
        {"T.P. Ho Chi Minh", "province: \"T.P. Ho Chi Minh\" is neither a code nor a name"},
        {"TP.", "province: \"TP.\" is neither a code nor a name"},
    };
    size_t failures = 0; /* every failing case is shown, not only the first */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dfa_unit *cur, *orig;
        dfa_error err = {0};
        dfa_status st = dfa_provinces_resolve(p, cases[i].text, after, &cur, &orig, &err);
        if (st != DFA_ERR_PROVINCE || strcmp(err.msg, cases[i].msg) != 0) {
            print_error("case %zu:\n  got  %s: %s\n  want %s\n", i, dfa_status_name(st), st ? err.msg : "",
                        cases[i].msg);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_fold(void **state)
{
    (void)state;
    char out[64];
    assert_true(dfa_text_fold("Bà Rịa - Vũng Tàu", out, sizeof out));
    assert_string_equal(out, "bariavungtau");
    assert_true(dfa_text_fold("ĐẮK NÔNG", out, sizeof out));
    assert_string_equal(out, "daknong");
    assert_false(dfa_text_fold("\xc3\x28", out, sizeof out)); /* invalid UTF-8 */
    assert_false(dfa_text_fold("abcdef", out, 4));             /* does not fit */
    assert_false(dfa_text_fold("Ha Noi!", out, sizeof out));   /* a symbol */
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bad_tables(void **state)
{
    (void)state;
    static const struct {
        const char *csv, *msg;
    } cases[] = {
        {"code,name\n", "line 1: expected header code,name,name_ascii,kind,valid_from,valid_to,successor"},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n1,A,A,tinh,,,\n",
         "line 2: code: expected two digits, got \"1\""},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n01,A,A,xa,,,\n",
         "line 2: kind: expected tinh or thanh_pho, got \"xa\""},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n01,A,A,tinh,,2025-02-30,02\n",
         "line 2: valid_to: expected YYYY-MM-DD, got \"2025-02-30\""},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n01,A,A,tinh,,2025-06-30,\n",
         "line 2: successor: a unit has a successor exactly when it has valid_to"},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n01,A,A,tinh,,2025-06-30,07\n",
         "line 2: successor 07 of 01x has no unit on the day after 2025-06-30"},
        {"code,name,name_ascii,kind,valid_from,valid_to,successor\n01,A,A,tinh,,\n", "line 2: expected 7 comma-separated fields"},
    };
    char path[] = "/tmp/dfa-provinces-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].csv);
        dfa_provinces *p = NULL;
        dfa_error err = {0};
        char want[512];
        snprintf(want, sizeof want, "%s: %s", path, cases[i].msg);
        assert_int_equal(dfa_provinces_load(path, &p, &err), DFA_ERR_CONFIG);
        assert_string_equal(err.msg, want);
        assert_null(p);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_old_codes_before_and_after),
        cmocka_unit_test(test_every_name_every_spelling),
        cmocka_unit_test(test_examples_of_domain),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, open_core, close_core);
}
