/* dfa_format: how figures are written, in one place for every output.
 *
 * Vietnamese text (the Markdown and HTML reports, dfa-query's table): thousands
 * with '.', decimals with ',' ("1.300,0%"), dates as the reports write them
 * ("30/6/2022"), money in its major unit with minor units only when they are
 * not zero ("281.297.413 USD", "1.500,50 USD"), and one sign convention: a
 * change is a word and a magnitude ("tăng 26", "giảm 3 (60,0%)"), never a word
 * and a sign, and the only minus sign ever written is '-' (U+002D).
 * Machine output (JSON, CSV): plain numbers, integers as they are, percents
 * with one decimal and a '.' ("1300.0"), money as integer minor units.
 *
 * Every function writes a NUL-terminated string into out (cut to cap) and
 * returns out, so that calls can sit inside a printf's arguments. */
#ifndef DFA_FORMAT_H
#define DFA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "dfa_period.h"

#define DFA_FORMAT_MAX 64 /* enough for any number, amount with its code, or date below */

/* 1234567 -> "1.234.567"; -3 -> "-3". */
char *dfa_format_vi_int(int64_t v, char *out, size_t cap);
/* Minor units of a currency -> "2.000.000.000 VND", "15.000 USD", "15.000,50 USD". */
char *dfa_format_vi_money(int64_t minor_units, const char *currency, char *out, size_t cap);
/* A percent given in tenths (13000 -> "1.300,0%"); the magnitude only when abs is set. */
char *dfa_format_vi_pct_tenths(int64_t tenths, int abs, char *out, size_t cap);
/* A percent as the rollup document holds it (a number with one decimal). */
int64_t dfa_format_tenths(double pct);
/* 2022-06-30 -> "30/6/2022". */
char *dfa_format_vi_date(dfa_date d, char *out, size_t cap);
/* "2022-06-30" -> "30/6/2022"; an unreadable date is copied as it is. */
char *dfa_format_vi_iso_date(const char *iso, char *out, size_t cap);
/* The change word of a difference: "tăng", "giảm", or "bằng" for 0. */
const char *dfa_format_vi_change_word(int64_t diff);

/* Machine: 1300.0 -> "1300.0" (one decimal, '.' and '-' whatever the locale). */
char *dfa_format_plain_pct(double pct, char *out, size_t cap);

#endif
