/* dfa_period: civil dates in Asia/Ho_Chi_Minh and the reporting periods they
 * fall in.
 *
 * Vietnam keeps UTC+7 with no daylight saving, so local time is computed by
 * arithmetic alone: no TZ variable, no tzdata, same result on every machine.
 *
 * Period ids (also the suffix of Redis keys, so they use only [A-Z0-9-]):
 *   D2025-07-01  day            M2025-07  calendar month
 *   Q2025-3      quarter        H2025-1   half (1 = January-June)
 *   N2025        nine months (January-September)
 *   Y2025        year           R2021-2025  multi-year range of whole years
 *   A2025-07     administrative month: 15 June 2025 to 14 July 2025
 *   AY2025       administrative year: 15 December 2024 to 14 December 2025 */
#ifndef DFA_PERIOD_H
#define DFA_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_error.h"

#define DFA_UTC_OFFSET_SECONDS (7 * 3600)
#define DFA_PERIOD_ID_MAX 16

typedef struct {
    int year, month, day;
} dfa_date;

typedef struct {
    int64_t utc_seconds; /* seconds since 1970-01-01T00:00:00Z */
    dfa_date local;      /* the civil date in Asia/Ho_Chi_Minh */
    int local_seconds;   /* seconds since local midnight, 0..86399 */
} dfa_instant;

typedef enum {
    DFA_PERIOD_DAY,
    DFA_PERIOD_MONTH,
    DFA_PERIOD_QUARTER,
    DFA_PERIOD_HALF,
    DFA_PERIOD_NINE_MONTHS,
    DFA_PERIOD_YEAR,
    DFA_PERIOD_ADMIN_MONTH,
    DFA_PERIOD_ADMIN_YEAR,
    DFA_PERIOD__COUNT
} dfa_period_kind;

/* Earliest and latest years an event may carry. */
#define DFA_YEAR_MIN 1990
#define DFA_YEAR_MAX 2099

/* Parses RFC 3339 ("2025-06-30T20:00:00Z", "...+07:00", fractions allowed)
 * into UTC seconds and the local civil date. */
dfa_status dfa_instant_parse(const char *text, dfa_instant *out, dfa_error *err);

/* Parses "YYYY-MM-DD"; false if malformed or not a real date. */
bool dfa_date_parse(const char *text, dfa_date *out);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t dfa_date_to_days(dfa_date d);
dfa_date dfa_date_from_days(int64_t days);
/* d moved by n days (n may be negative). */
dfa_date dfa_date_add_days(dfa_date d, int64_t n);
/* Today's civil date in Asia/Ho_Chi_Minh, from the system clock. */
dfa_date dfa_date_today_local(void);

int dfa_date_cmp(dfa_date a, dfa_date b);
int dfa_days_in_month(int year, int month);

/* Writes the id of the period of `kind` that contains `d` into out
 * (DFA_PERIOD_ID_MAX bytes). False when the kind does not contain that date
 * (nine months for October to December). */
bool dfa_period_id(dfa_period_kind kind, dfa_date d, char out[DFA_PERIOD_ID_MAX]);

/* Parses any period id above into its first and last day. Refuses a period
 * with a day outside DFA_YEAR_MIN..DFA_YEAR_MAX (Y1989, Y2100, R1985-1990),
 * except administrative ones, which spill over a year's end and need only
 * one day inside (AY2100 holds 15-31 December 2099). Messages echo the id
 * escaped (dfa_text_escape). */
dfa_status dfa_period_parse(const char *id, dfa_date *first, dfa_date *last, dfa_error *err);

/* True if id has the form of a period id, whatever its years: tells a
 * malformed id from one out of range. */
bool dfa_period_is_well_formed(const char *id);

/* Short English name of a kind ("month", "admin_year", ...). */
const char *dfa_period_kind_name(dfa_period_kind kind);

#endif
