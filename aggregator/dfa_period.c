#include "dfa_period.h"

#include <time.h>

#include <stdio.h>
#include <string.h>

#include "dfa_text.h"

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int dfa_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && is_leap(year));
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t dfa_date_to_days(dfa_date d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (d.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

dfa_date dfa_date_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    dfa_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

dfa_date dfa_date_add_days(dfa_date d, int64_t n) { return dfa_date_from_days(dfa_date_to_days(d) + n); }

dfa_date dfa_date_today_local(void)
{
    return dfa_date_from_days(((int64_t)time(NULL) + DFA_UTC_OFFSET_SECONDS) / 86400);
}

int dfa_date_cmp(dfa_date a, dfa_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

/* Reads exactly n decimal digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static bool parse_date_at(const char **p, dfa_date *d)
{
    return digits(p, 4, &d->year) && expect(p, '-') && digits(p, 2, &d->month) &&
           expect(p, '-') && digits(p, 2, &d->day) && d->month >= 1 && d->month <= 12 &&
           d->day >= 1 && d->day <= dfa_days_in_month(d->year, d->month);
}

bool dfa_date_parse(const char *text, dfa_date *out)
{
    const char *p = text;
    return parse_date_at(&p, out) && *p == '\0';
}

/* The part of an occurred_at that its messages show: 40 bytes escaped. */
#define SHOWN_TIME 44

static dfa_status bad_time(dfa_error *err, const char *what, const char *text)
{
    char shown[SHOWN_TIME];
    return dfa_fail(err, DFA_ERR_TIME, "occurred_at: %s \"%s\"", what,
                    dfa_text_escape(text, strlen(text), shown, sizeof shown));
}

dfa_status dfa_instant_parse(const char *text, dfa_instant *out, dfa_error *err)
{
    const char *p = text;
    dfa_date d;
    int hh, mm, ss;
    if (!parse_date_at(&p, &d) || !(expect(&p, 'T') || expect(&p, 't')) || !digits(&p, 2, &hh) ||
        !expect(&p, ':') || !digits(&p, 2, &mm) || !expect(&p, ':') || !digits(&p, 2, &ss))
        return bad_time(err, "expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got", text);
    if (hh > 23 || mm > 59 || ss > 60)
        return bad_time(err, "time of day out of range in", text);
    if (ss == 60) /* a leap second belongs to the minute it ends */
        ss = 59;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return bad_time(err, "empty fraction of a second in", text);
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return bad_time(err, "bad UTC offset in", text);
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return bad_time(err, "missing UTC offset (Z or +07:00) in", text);
    }
    if (*p != '\0')
        return bad_time(err, "trailing characters in", text);

    int64_t utc = dfa_date_to_days(d) * 86400 + hh * 3600 + mm * 60 + ss - offset;
    int64_t local = utc + DFA_UTC_OFFSET_SECONDS;
    int64_t local_days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    out->utc_seconds = utc;
    out->local = dfa_date_from_days(local_days);
    out->local_seconds = (int)(local - local_days * 86400);
    if (out->local.year < DFA_YEAR_MIN || out->local.year > DFA_YEAR_MAX)
        return dfa_fail(err, DFA_ERR_TIME, "occurred_at: year %d outside %d..%d", out->local.year,
                        DFA_YEAR_MIN, DFA_YEAR_MAX);
    return DFA_OK;
}

/* The administrative calendar closes on the 14th: the 15th and later belong to
 * the period named after the next month (and from 15 December, the next year). */
static dfa_date admin_month_of(dfa_date d)
{
    dfa_date m = {d.year, d.month, 1};
    if (d.day >= 15 && ++m.month > 12)
        m.month = 1, m.year++;
    return m;
}

/* "<letter>YYYY-MM[-DD]" for the two buckets every event writes, without
 * printf (it showed in the consumer's profile); other years go to printf. */
static bool stored_bucket_id(char letter, dfa_date d, bool with_day, char out[DFA_PERIOD_ID_MAX])
{
    if (d.year < 0 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
        return false;
    char *p = out;
    *p++ = letter;
    for (int div = 1000; div > 0; div /= 10)
        *p++ = (char)('0' + d.year / div % 10);
    *p++ = '-';
    *p++ = (char)('0' + d.month / 10), *p++ = (char)('0' + d.month % 10);
    if (with_day) {
        *p++ = '-';
        *p++ = (char)('0' + d.day / 10), *p++ = (char)('0' + d.day % 10);
    }
    *p = '\0';
    return true;
}

bool dfa_period_id(dfa_period_kind kind, dfa_date d, char out[DFA_PERIOD_ID_MAX])
{
    dfa_date a;
    switch (kind) {
    case DFA_PERIOD_DAY:
        if (!stored_bucket_id('D', d, true, out))
            snprintf(out, DFA_PERIOD_ID_MAX, "D%04d-%02d-%02d", d.year, d.month, d.day);
        return true;
    case DFA_PERIOD_MONTH:
        if (!stored_bucket_id('M', d, false, out))
            snprintf(out, DFA_PERIOD_ID_MAX, "M%04d-%02d", d.year, d.month);
        return true;
    case DFA_PERIOD_QUARTER:
        snprintf(out, DFA_PERIOD_ID_MAX, "Q%04d-%d", d.year, (d.month + 2) / 3);
        return true;
    case DFA_PERIOD_HALF:
        snprintf(out, DFA_PERIOD_ID_MAX, "H%04d-%d", d.year, d.month <= 6 ? 1 : 2);
        return true;
    case DFA_PERIOD_NINE_MONTHS:
        if (d.month > 9)
            return false;
        snprintf(out, DFA_PERIOD_ID_MAX, "N%04d", d.year);
        return true;
    case DFA_PERIOD_YEAR:
        snprintf(out, DFA_PERIOD_ID_MAX, "Y%04d", d.year);
        return true;
    case DFA_PERIOD_ADMIN_MONTH:
        a = admin_month_of(d);
        snprintf(out, DFA_PERIOD_ID_MAX, "A%04d-%02d", a.year, a.month);
        return true;
    case DFA_PERIOD_ADMIN_YEAR:
        snprintf(out, DFA_PERIOD_ID_MAX, "AY%04d", admin_month_of(d).year);
        return true;
    default:
        return false;
    }
}

const char *dfa_period_kind_name(dfa_period_kind kind)
{
    static const char *const names[DFA_PERIOD__COUNT] = {
        "day", "month", "quarter", "half", "nine_months", "year", "admin_month", "admin_year"};
    return (unsigned)kind < DFA_PERIOD__COUNT ? names[kind] : "unknown";
}

static dfa_date make_date(int y, int m, int d) { return (dfa_date){y, m, d}; }
static dfa_date month_end(int y, int m) { return make_date(y, m, dfa_days_in_month(y, m)); }

/* The admin month named (y, m) runs from the 15th of the month before to the 14th. */
static void admin_month_range(int y, int m, dfa_date *first, dfa_date *last)
{
    *first = m == 1 ? make_date(y - 1, 12, 15) : make_date(y, m - 1, 15);
    *last = make_date(y, m, 14);
}

/* Reads a period id into its first and last day, whatever its years. False
 * when id has no period's form. */
static bool parse_shape(const char *id, dfa_date *first, dfa_date *last)
{
    const char *p = id;
    int y = 0, n = 0, y2 = 0;
    bool ok = false;
    dfa_date d;
    switch (*p++) {
    case 'D':
        ok = parse_date_at(&p, &d) && *p == '\0';
        if (ok)
            *first = *last = d;
        break;
    case 'M':
        ok = digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 2, &n) && *p == '\0' && n >= 1 &&
             n <= 12;
        if (ok)
            *first = make_date(y, n, 1), *last = month_end(y, n);
        break;
    case 'Q':
        ok = digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 1, &n) && *p == '\0' && n >= 1 &&
             n <= 4;
        if (ok)
            *first = make_date(y, 3 * n - 2, 1), *last = month_end(y, 3 * n);
        break;
    case 'H':
        ok = digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 1, &n) && *p == '\0' && n >= 1 &&
             n <= 2;
        if (ok)
            *first = make_date(y, n == 1 ? 1 : 7, 1), *last = month_end(y, n == 1 ? 6 : 12);
        break;
    case 'N':
        ok = digits(&p, 4, &y) && *p == '\0';
        if (ok)
            *first = make_date(y, 1, 1), *last = month_end(y, 9);
        break;
    case 'Y':
        ok = digits(&p, 4, &y) && *p == '\0';
        if (ok)
            *first = make_date(y, 1, 1), *last = make_date(y, 12, 31);
        break;
    case 'R':
        ok = digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 4, &y2) && *p == '\0' && y2 >= y;
        if (ok)
            *first = make_date(y, 1, 1), *last = make_date(y2, 12, 31);
        break;
    case 'A':
        if (*p == 'Y') {
            p++;
            ok = digits(&p, 4, &y) && *p == '\0';
            if (ok)
                *first = make_date(y - 1, 12, 15), *last = make_date(y, 12, 14);
        } else {
            ok = digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 2, &n) && *p == '\0' &&
                 n >= 1 && n <= 12;
            if (ok)
                admin_month_range(y, n, first, last);
        }
        break;
    default:
        break;
    }
    return ok;
}

bool dfa_period_is_well_formed(const char *id)
{
    dfa_date first, last;
    return parse_shape(id, &first, &last);
}

dfa_status dfa_period_parse(const char *id, dfa_date *first, dfa_date *last, dfa_error *err)
{
    static const dfa_date earliest = {DFA_YEAR_MIN, 1, 1}, latest = {DFA_YEAR_MAX, 12, 31};
    char shown[28];
    if (!parse_shape(id, first, last))
        return dfa_fail(err, DFA_ERR_SCHEMA,
                        "period: expected an id like M2025-07, Q2025-3, H2025-1, N2025, Y2025, "
                        "R2021-2025, A2025-07 or AY2025, got \"%s\"",
                        dfa_text_escape(id, strlen(id), shown, sizeof shown));
    /* A period lies within the years events can have. Administrative ones
     * spill over a year's end, so they need only one day inside: AY2100 holds
     * 15-31 December 2099, A1990-01 starts on 15 December 1989. */
    bool admin = id[0] == 'A';
    if (dfa_date_cmp(admin ? *last : *first, earliest) < 0 || dfa_date_cmp(admin ? *first : *last, latest) > 0)
        return dfa_fail(err, DFA_ERR_SCHEMA, "period: \"%s\" is outside %d..%d",
                        dfa_text_escape(id, strlen(id), shown, sizeof shown), DFA_YEAR_MIN, DFA_YEAR_MAX);
    return DFA_OK;
}
