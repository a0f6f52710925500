/* dfa_province: Vietnam's provincial units with their lineage
 * (config/provinces.csv), and the matching of what events say ("Kien Giang",
 * "91", "TP. Hồ Chí Minh") to today's unit and to the unit in force on the
 * event's date. */
#ifndef DFA_PROVINCE_H
#define DFA_PROVINCE_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_error.h"
#include "dfa_period.h"

/* One row of provinces.csv: a unit in one era. Read-only; owned by the table. */
typedef struct dfa_unit {
    char code[3];        /* statistical code, "91" */
    char unit_id[4];     /* "91" for a unit in force today, "91x" for one that ended:
                          * unique per row, safe inside Redis keys */
    const char *name;    /* official name with diacritics */
    const char *name_ascii;
    bool is_city;        /* thanh_pho rather than tinh */
    bool has_from, has_to;
    dfa_date valid_from, valid_to;
    char successor[3];   /* code of the absorbing unit, "" when in force */
    const struct dfa_unit *current; /* the unit in force today that this row restates to */
} dfa_unit;

typedef struct dfa_provinces dfa_provinces;

/* Loads and checks the table. On success *out is owned by the caller and freed
 * with dfa_provinces_free. Errors name the file, the line and the column. */
dfa_status dfa_provinces_load(const char *path, dfa_provinces **out, dfa_error *err);
void dfa_provinces_free(dfa_provinces *p);

/* All rows, in file order, and the units in force today (34). */
size_t dfa_provinces_count(const dfa_provinces *p);
const dfa_unit *dfa_provinces_row(const dfa_provinces *p, size_t i);
size_t dfa_provinces_current_count(const dfa_provinces *p);
const dfa_unit *dfa_provinces_current(const dfa_provinces *p, size_t i);

/* Finds a row by its unit_id ("89x"), or NULL. */
const dfa_unit *dfa_provinces_by_unit_id(const dfa_provinces *p, const char *unit_id);

/* Resolves a code or a name (any case, with or without diacritics, spaces
 * and hyphens free, with an optional "Tỉnh"/"Thành phố"/"TP." prefix) as of
 * local date `on`. Any other character ("Ha Noi;", an emoji) makes the text
 * no name. Messages echo the text escaped (dfa_text_escape).
 * *original is the unit in force on that date, *current the unit it is part of
 * today. Pointers stay valid as long as the table. */
dfa_status dfa_provinces_resolve(const dfa_provinces *p, const char *text, dfa_date on,
                                 const dfa_unit **current, const dfa_unit **original,
                                 dfa_error *err);

#endif
