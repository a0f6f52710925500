#include "dfa_format.h"

#include <stdio.h>
#include <stdlib.h>

#include "dfa_iso.h"

/* The digits of a magnitude grouped by three with sep: 1234567 -> "1.234.567". */
static void grouped(uint64_t mag, char sep, char *out, size_t cap)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    size_t g = 0;
    for (int i = 0; i < n && g + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[g++] = sep;
        out[g++] = digits[i];
    }
    out[g] = '\0';
}

static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; }

char *dfa_format_vi_int(int64_t v, char *out, size_t cap)
{
    char g[32];
    grouped(magnitude(v), '.', g, sizeof g);
    snprintf(out, cap, "%s%s", v < 0 ? "-" : "", g);
    return out;
}

char *dfa_format_vi_money(int64_t minor_units, const char *currency, char *out, size_t cap)
{
    int exp = dfa_iso_currency_exponent(currency);
    uint64_t scale = exp == 0 ? 1 : (exp == 2 ? 100 : 1000), mag = magnitude(minor_units);
    char g[32];
    grouped(mag / scale, '.', g, sizeof g);
    if (mag % scale) /* minor units only where there are some: "1.500,50 USD" */
        snprintf(out, cap, "%s%s,%0*llu %s", minor_units < 0 ? "-" : "", g, exp, (unsigned long long)(mag % scale),
                 currency);
    else
        snprintf(out, cap, "%s%s %s", minor_units < 0 ? "-" : "", g, currency);
    return out;
}

int64_t dfa_format_tenths(double pct) { return (int64_t)(pct * 10.0 + (pct < 0 ? -0.5 : 0.5)); }

char *dfa_format_vi_pct_tenths(int64_t tenths, int abs, char *out, size_t cap)
{
    char g[32];
    uint64_t mag = magnitude(tenths);
    grouped(mag / 10, '.', g, sizeof g);
    snprintf(out, cap, "%s%s,%llu%%", tenths < 0 && !abs ? "-" : "", g, (unsigned long long)(mag % 10));
    return out;
}

char *dfa_format_vi_date(dfa_date d, char *out, size_t cap)
{
    snprintf(out, cap, "%d/%d/%d", d.day, d.month, d.year);
    return out;
}

char *dfa_format_vi_iso_date(const char *iso, char *out, size_t cap)
{
    dfa_date d;
    if (iso && dfa_date_parse(iso, &d))
        return dfa_format_vi_date(d, out, cap);
    snprintf(out, cap, "%s", iso ? iso : "");
    return out;
}

const char *dfa_format_vi_change_word(int64_t diff) { return diff > 0 ? "tăng" : diff < 0 ? "giảm" : "bằng"; }

char *dfa_format_plain_pct(double pct, char *out, size_t cap)
{
    int64_t t = dfa_format_tenths(pct);
    uint64_t mag = magnitude(t);
    snprintf(out, cap, "%s%llu.%llu", t < 0 ? "-" : "", (unsigned long long)(mag / 10), (unsigned long long)(mag % 10));
    return out;
}
