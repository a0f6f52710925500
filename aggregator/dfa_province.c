#include "dfa_province.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_file.h"
#include "dfa_text.h"

#define MAX_ROWS 256
#define KEY_MAX 64
/* Room for the province text a message shows: 40 bytes escaped, then "...". */
#define SHOWN_NAME 44

struct dfa_provinces {
    size_t n_rows, n_current;
    dfa_unit rows[MAX_ROWS];
    char name_key[MAX_ROWS][KEY_MAX]; /* folded name of each row */
    const dfa_unit *current[MAX_ROWS];
    char *text; /* the file's bytes; names point into it */
};

static bool valid_on(const dfa_unit *u, dfa_date d)
{
    return (!u->has_from || dfa_date_cmp(u->valid_from, d) <= 0) &&
           (!u->has_to || dfa_date_cmp(d, u->valid_to) <= 0);
}

/* Splits line into exactly n comma-separated fields, in place. */
static size_t split_fields(char *line, char **fields, size_t n)
{
    size_t k = 0;
    fields[k++] = line;
    for (char *c = line; *c; c++) {
        if (*c == ',') {
            *c = '\0';
            if (k == n)
                return n + 1;
            fields[k++] = c + 1;
        }
    }
    return k;
}

/* A field of provinces.csv as its messages show it: 16 bytes, escaped. */
static const char *shown_field(const char *f, char buf[20])
{
    return dfa_text_escape(f, strlen(f), buf, 20);
}

static dfa_status parse_row(char **f, dfa_unit *u, dfa_error *err)
{
    char shown[20];
    static const char *const col[] = {"code", "name", "name_ascii", "kind", "valid_from", "valid_to",
                                      "successor"};
    if (strlen(f[0]) != 2 || f[0][0] < '0' || f[0][0] > '9' || f[0][1] < '0' || f[0][1] > '9')
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected two digits, got \"%s\"",
                        col[0], shown_field(f[0], shown));
    memcpy(u->code, f[0], 3);
    if (!*f[1] || !dfa_text_is_utf8(f[1], strlen(f[1])))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: empty or not UTF-8", col[1]);
    if (!*f[2])
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: empty", col[2]);
    u->name = f[1];
    u->name_ascii = f[2];
    if (strcmp(f[3], "tinh") != 0 && strcmp(f[3], "thanh_pho") != 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected tinh or thanh_pho, got \"%s\"",
                        col[3], shown_field(f[3], shown));
    u->is_city = f[3][0] == 't' && f[3][1] == 'h';
    u->has_from = *f[4] != '\0';
    if (u->has_from && !dfa_date_parse(f[4], &u->valid_from))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected YYYY-MM-DD, got \"%s\"",
                        col[4], shown_field(f[4], shown));
    u->has_to = *f[5] != '\0';
    if (u->has_to && !dfa_date_parse(f[5], &u->valid_to))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected YYYY-MM-DD, got \"%s\"",
                        col[5], shown_field(f[5], shown));
    if (u->has_to != (*f[6] != '\0'))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: a unit has a successor exactly when it has valid_to",
                        col[6]);
    if (*f[6] && strlen(f[6]) != 2)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected two digits, got \"%s\"",
                        col[6], shown_field(f[6], shown));
    memcpy(u->successor, f[6], strlen(f[6]) + 1);
    memcpy(u->unit_id, u->code, 2);
    u->unit_id[2] = u->has_to ? 'x' : '\0';
    u->unit_id[3] = '\0';
    return DFA_OK;
}

/* The row that carries `code` on date d, or NULL. */
static const dfa_unit *row_for_code_on(const dfa_provinces *p, const char *code, dfa_date d)
{
    for (size_t i = 0; i < p->n_rows; i++)
        if (strcmp(p->rows[i].code, code) == 0 && valid_on(&p->rows[i], d))
            return &p->rows[i];
    return NULL;
}

static const dfa_unit *successor_of(const dfa_provinces *p, const dfa_unit *u)
{
    dfa_date next = dfa_date_from_days(dfa_date_to_days(u->valid_to) + 1);
    return row_for_code_on(p, u->successor, next);
}

/* Links every row to the unit in force today and checks the lineage is sound. */
static dfa_status link_lineage(dfa_provinces *p, dfa_error *err)
{
    for (size_t i = 0; i < p->n_rows; i++) {
        dfa_unit *u = &p->rows[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->rows[j].unit_id, u->unit_id) == 0)
                return dfa_fail(err, DFA_ERR_CONFIG, "line %zu: code %s has two ended rows", i + 2,
                                u->code);
        const dfa_unit *c = u;
        for (int hops = 0; c->has_to; hops++) {
            const dfa_unit *next = successor_of(p, c);
            if (!next || hops > 8)
                return dfa_fail(err, DFA_ERR_CONFIG,
                                "line %zu: successor %s of %s has no unit on the day after %04d-%02d-%02d",
                                i + 2, c->successor, c->unit_id, c->valid_to.year, c->valid_to.month,
                                c->valid_to.day);
            c = next;
        }
        u->current = c;
        if (!u->has_to)
            p->current[p->n_current++] = u;
    }
    return DFA_OK;
}

static dfa_status parse_table(dfa_provinces *p, dfa_error *err)
{
    char *save = NULL;
    char *line = strtok_r(p->text, "\n", &save);
    if (!line || strncmp(line, "code,name,name_ascii,kind,valid_from,valid_to,successor", 55) != 0)
        return dfa_fail(err, DFA_ERR_CONFIG,
                        "line 1: expected header code,name,name_ascii,kind,valid_from,valid_to,successor");
    size_t lineno = 1;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (p->n_rows == MAX_ROWS)
            return dfa_fail(err, DFA_ERR_CONFIG, "line %zu: more than %d rows", lineno, MAX_ROWS);
        char *f[7];
        if (split_fields(line, f, 7) != 7)
            return dfa_fail(err, DFA_ERR_CONFIG, "line %zu: expected 7 comma-separated fields", lineno);
        dfa_unit *u = &p->rows[p->n_rows];
        if (parse_row(f, u, err) != DFA_OK) {
            char where[32];
            snprintf(where, sizeof where, "line %zu", lineno);
            dfa_error_prefix(err, where);
            return err ? err->code : DFA_ERR_CONFIG;
        }
        if (!dfa_text_fold(u->name, p->name_key[p->n_rows], KEY_MAX))
            return dfa_fail(err, DFA_ERR_CONFIG, "line %zu: name: too long, or not letters, spaces and hyphens",
                            lineno);
        p->n_rows++;
    }
    return link_lineage(p, err);
}

dfa_status dfa_provinces_load(const char *path, dfa_provinces **out, dfa_error *err)
{
    dfa_provinces *p = calloc(1, sizeof *p);
    if (!p)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", path);
    dfa_status st = dfa_file_read(path, &p->text, NULL, err);
    if (st == DFA_OK && (st = parse_table(p, err)) != DFA_OK)
        dfa_error_prefix(err, path);
    if (st != DFA_OK) {
        dfa_provinces_free(p);
        return st;
    }
    *out = p;
    return DFA_OK;
}

void dfa_provinces_free(dfa_provinces *p)
{
    if (!p)
        return;
    free(p->text);
    free(p);
}

size_t dfa_provinces_count(const dfa_provinces *p) { return p->n_rows; }
const dfa_unit *dfa_provinces_row(const dfa_provinces *p, size_t i) { return i < p->n_rows ? &p->rows[i] : NULL; }
size_t dfa_provinces_current_count(const dfa_provinces *p) { return p->n_current; }
const dfa_unit *dfa_provinces_current(const dfa_provinces *p, size_t i)
{
    return i < p->n_current ? p->current[i] : NULL;
}

const dfa_unit *dfa_provinces_by_unit_id(const dfa_provinces *p, const char *unit_id)
{
    for (size_t i = 0; i < p->n_rows; i++)
        if (strcmp(p->rows[i].unit_id, unit_id) == 0)
            return &p->rows[i];
    return NULL;
}

/* "1" and "01" are the same code; anything else numeric is not a code. */
static bool as_code(const char *text, char code[3])
{
    size_t n = strlen(text);
    if (n < 1 || n > 2 || text[0] < '0' || text[0] > '9' || (n == 2 && (text[1] < '0' || text[1] > '9')))
        return false;
    code[0] = n == 1 ? '0' : text[0];
    code[1] = text[n - 1];
    code[2] = '\0';
    return true;
}

/* Drops the administrative prefix people write before names. */
static const char *strip_prefix(const char *key)
{
    static const char *const prefixes[] = {"thanhpho", "tinh", "tp"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(key, prefixes[i], n) == 0 && key[n] != '\0')
            return key + n;
    }
    return key;
}

static bool row_matches(const dfa_provinces *p, size_t i, const char *code, const char *key)
{
    if (*code)
        return strcmp(p->rows[i].code, code) == 0;
    return strcmp(p->name_key[i], key) == 0 || strcmp(p->name_key[i], strip_prefix(key)) == 0 ||
           (strcmp(strip_prefix(key), "hcm") == 0 && strcmp(p->rows[i].code, "79") == 0);
}

/* The unit in force on d that row u is part of (following successors), or, for
 * a unit used before it existed, its predecessor with the same code. */
static const dfa_unit *in_force_on(const dfa_provinces *p, const dfa_unit *u, dfa_date d)
{
    for (int hops = 0; u && hops < 8; hops++) {
        if (valid_on(u, d))
            return u;
        if (u->has_to && dfa_date_cmp(d, u->valid_to) > 0)
            u = successor_of(p, u);
        else
            break;
    }
    if (!u || !u->has_from || dfa_date_cmp(d, u->valid_from) >= 0)
        return NULL;
    for (size_t i = 0; i < p->n_rows; i++)
        if (p->rows[i].current == u && strcmp(p->rows[i].code, u->code) == 0 && valid_on(&p->rows[i], d))
            return &p->rows[i];
    return NULL;
}

/* The key a name is matched by, false when text is no name. The fold refuses
 * stray symbols; the one dot a name may carry is that of "TP.", the
 * abbreviation of "Thành phố" ("TP. Hồ Chí Minh", "Tp.HCM"), dropped here
 * as strip_prefix drops the words. */
static bool name_key(const char *text, char key[KEY_MAX])
{
    if ((text[0] == 'T' || text[0] == 't') && (text[1] == 'P' || text[1] == 'p') && text[2] == '.')
        text += 3;
    return dfa_text_fold(text, key, KEY_MAX) && *key;
}

dfa_status dfa_provinces_resolve(const dfa_provinces *p, const char *text, dfa_date on,
                                 const dfa_unit **current, const dfa_unit **original,
                                 dfa_error *err)
{
    char code[3] = "", key[KEY_MAX];
    char shown[SHOWN_NAME];
    if (!as_code(text, code) && !name_key(text, key))
        return dfa_fail(err, DFA_ERR_PROVINCE, "province: \"%s\" is neither a code nor a name",
                        dfa_text_escape(text, strlen(text), shown, sizeof shown));
    const dfa_unit *first_match = NULL;
    for (size_t i = 0; i < p->n_rows; i++) {
        if (!row_matches(p, i, code, key))
            continue;
        if (valid_on(&p->rows[i], on)) {
            *original = &p->rows[i];
            *current = p->rows[i].current;
            return DFA_OK;
        }
        if (!first_match)
            first_match = &p->rows[i];
    }
    if (!first_match)
        return dfa_fail(err, DFA_ERR_PROVINCE, "province: unknown province \"%s\"",
                        dfa_text_escape(text, strlen(text), shown, sizeof shown));
    const dfa_unit *u = in_force_on(p, first_match, on);
    if (!u)
        return dfa_fail(err, DFA_ERR_PROVINCE, "province: \"%s\" has no unit in force on %04d-%02d-%02d",
                        dfa_text_escape(text, strlen(text), shown, sizeof shown), on.year, on.month, on.day);
    *original = u;
    *current = u->current;
    return DFA_OK;
}
