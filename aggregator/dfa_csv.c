#include "dfa_csv.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfa_event.h"
#include "dfa_text.h"

#define CHUNK_BYTES 65536
#define SHOWN 44 /* 40 bytes of an echoed cell or name, then "..." */

typedef enum { COL_ENVELOPE, COL_DATA, COL_AMOUNT, COL_CURRENCY } column_kind;

typedef struct {
    char *name;                 /* as in the header; owned */
    column_kind kind;
    const char *key;            /* the envelope key, or the data field's name (the spec's) */
    const dfa_field_spec *spec; /* data columns, once the type is known */
} column;

struct dfa_csv {
    const dfa_catalog *cat;
    /* the input: a buffer, or a stream read in chunks into chunk */
    const char *mem;
    size_t mem_len, pos;
    FILE *in;
    char *chunk;
    size_t line; /* of the next byte */
    bool started;
    /* the record being read: its cells' bytes, each followed by a NUL */
    char *rec;
    size_t rec_len;
    size_t cell_at[DFA_CSV_MAX_COLUMNS], cell_len[DFA_CSV_MAX_COLUMNS], n_cells;
    /* the header */
    column cols[DFA_CSV_MAX_COLUMNS];
    size_t n_cols, header_line;
    bool header_read, has_schema_version, stopped;
    const dfa_event_type *type; /* fixed by the first row naming a catalog type */
};

static const char *const envelope_keys[] = {"event_id", "type",    "occurred_at", "province", "reporter",
                                            "schema_version", "op", "ref", "estimate", NULL};
static const char *const required_envelope[] = {"event_id", "type", "occurred_at", "province", "reporter", NULL};

static dfa_csv *reader_new(const dfa_catalog *cat)
{
    dfa_csv *r = calloc(1, sizeof *r);
    if (!r || !(r->rec = malloc(DFA_CSV_MAX_RECORD_BYTES + DFA_CSV_MAX_COLUMNS))) {
        free(r);
        return NULL;
    }
    r->cat = cat;
    r->line = 1;
    return r;
}

dfa_csv *dfa_csv_from_buffer(const dfa_catalog *cat, const char *buf, size_t len)
{
    dfa_csv *r = reader_new(cat);
    if (r) {
        r->mem = buf;
        r->mem_len = len;
    }
    return r;
}

dfa_csv *dfa_csv_from_file(const dfa_catalog *cat, FILE *in)
{
    dfa_csv *r = reader_new(cat);
    if (r && !(r->chunk = malloc(CHUNK_BYTES))) {
        dfa_csv_free(r);
        return NULL;
    }
    if (r)
        r->in = in;
    return r;
}

void dfa_csv_free(dfa_csv *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_cols; i++)
        free(r->cols[i].name);
    free(r->chunk);
    free(r->rec);
    free(r);
}

/* ---- bytes ---- */

/* Makes n bytes available after the position when the input has them
 * (n <= 3): a stream's unread bytes move to the start of the chunk and the
 * rest is read after them. */
static size_t avail(dfa_csv *r, size_t n)
{
    size_t left = r->mem_len - r->pos;
    if (left >= n || !r->in)
        return left;
    if (left)
        memmove(r->chunk, r->mem + r->pos, left);
    size_t got = fread(r->chunk + left, 1, CHUNK_BYTES - left, r->in);
    r->mem = r->chunk;
    r->mem_len = left + got;
    r->pos = 0;
    return r->mem_len;
}

static int peek(dfa_csv *r) { return avail(r, 1) ? (unsigned char)r->mem[r->pos] : EOF; }

/* True when the next bytes are CR LF. */
static bool at_crlf(dfa_csv *r) { return avail(r, 2) >= 2 && r->mem[r->pos] == '\r' && r->mem[r->pos + 1] == '\n'; }

static int take(dfa_csv *r)
{
    int c = peek(r);
    if (c != EOF) {
        r->pos++;
        if (c == '\n')
            r->line++;
    }
    return c;
}

/* After a bad record: on to the next physical line, so one broken row costs one row. */
static void skip_line(dfa_csv *r)
{
    int c;
    while ((c = take(r)) != EOF && c != '\n')
        ;
}

/* The header's name of cell i, escaped, for messages. */
static const char *column_name(const dfa_csv *r, size_t i, char *buf, size_t cap)
{
    if (!r->header_read || i >= r->n_cols)
        return "";
    snprintf(buf, cap, " (%s)", r->cols[i].name); /* header names are checked to be plain names */
    return buf;
}

/* ---- records ---- */

static dfa_status put(dfa_csv *r, int c, dfa_error *err)
{
    char name[SHOWN + 4];
    size_t i = r->n_cells;
    if (r->rec_len - r->cell_at[i] >= DFA_CSV_MAX_CELL_BYTES)
        return dfa_fail(err, DFA_ERR_LIMIT, "cell %zu%s: more than %d bytes", i + 1,
                        column_name(r, i, name, sizeof name), DFA_CSV_MAX_CELL_BYTES);
    if (r->rec_len >= DFA_CSV_MAX_RECORD_BYTES)
        return dfa_fail(err, DFA_ERR_LIMIT, "row: more than %d bytes", DFA_CSV_MAX_RECORD_BYTES);
    r->rec[r->rec_len++] = (char)c;
    return DFA_OK;
}

/* Ends the cell being read; false (err set) when there are too many. */
static dfa_status end_cell(dfa_csv *r, dfa_error *err)
{
    r->cell_len[r->n_cells] = r->rec_len - r->cell_at[r->n_cells];
    r->rec[r->rec_len++] = '\0'; /* room kept: DFA_CSV_MAX_COLUMNS bytes beyond the record */
    r->n_cells++;
    if (r->n_cells == DFA_CSV_MAX_COLUMNS && peek(r) == ',')
        return dfa_fail(err, DFA_ERR_LIMIT, "row: more than %d cells", DFA_CSV_MAX_COLUMNS);
    if (r->n_cells < DFA_CSV_MAX_COLUMNS)
        r->cell_at[r->n_cells] = r->rec_len;
    return DFA_OK;
}

/* True at the end of a line (LF, or CR LF), which it takes. */
static bool take_line_end(dfa_csv *r)
{
    if (at_crlf(r))
        take(r);
    if (peek(r) != '\n')
        return false;
    take(r);
    return true;
}

/* A quoted cell, the opening quote taken: "" is a quote, the closing quote
 * must be followed by a comma or the end of the line. */
static dfa_status quoted_cell(dfa_csv *r, dfa_error *err)
{
    char name[SHOWN + 4];
    size_t opened = r->line;
    for (;;) {
        int c = take(r);
        if (c == EOF)
            return dfa_fail(err, DFA_ERR_CSV, "cell %zu%s: the quote opened on line %zu is never closed",
                            r->n_cells + 1, column_name(r, r->n_cells, name, sizeof name), opened);
        if (c == '"') {
            if (peek(r) != '"')
                break;
            take(r);
        }
        dfa_status st = put(r, c, err);
        if (st)
            return st;
    }
    int next = peek(r);
    if (next == ',' || next == EOF || next == '\n' || at_crlf(r))
        return DFA_OK;
    return dfa_fail(err, DFA_ERR_CSV, "cell %zu%s: text after the closing quote (a quote inside a quoted cell is written \"\")",
                    r->n_cells + 1, column_name(r, r->n_cells, name, sizeof name));
}

/* Reads one record into r->rec. DFA_OK with *got false at the end of input. */
static dfa_status read_record(dfa_csv *r, bool *got, dfa_error *err)
{
    char name[SHOWN + 4];
    r->rec_len = 0;
    r->n_cells = 0;
    r->cell_at[0] = 0;
    *got = false;
    if (!r->started) { /* a UTF-8 byte order mark, as spreadsheets write */
        r->started = true;
        if (avail(r, 3) >= 3 && memcmp(r->mem + r->pos, "\xEF\xBB\xBF", 3) == 0)
            r->pos += 3;
    }
    if (peek(r) == EOF)
        return DFA_OK;
    *got = true;
    for (;;) {
        dfa_status st = DFA_OK;
        if (peek(r) == '"') {
            take(r);
            st = quoted_cell(r, err);
        } else {
            int c;
            while (st == DFA_OK && (c = peek(r)) != EOF && c != ',' && c != '\n' && !at_crlf(r)) {
                if (c == '"')
                    return dfa_fail(err, DFA_ERR_CSV, "cell %zu%s: a quote inside an unquoted cell (quote the whole cell and write the quote as \"\")",
                                    r->n_cells + 1, column_name(r, r->n_cells, name, sizeof name));
                st = put(r, take(r), err);
            }
        }
        if (st || (st = end_cell(r, err)))
            return st;
        if (peek(r) == ',') {
            take(r);
            continue;
        }
        if (peek(r) == EOF || take_line_end(r))
            return DFA_OK;
    }
}

/* ---- the header ---- */

static bool is_envelope(const char *name)
{
    for (size_t i = 0; envelope_keys[i]; i++)
        if (strcmp(envelope_keys[i], name) == 0)
            return true;
    return false;
}

static ssize_t find_column(const dfa_csv *r, const char *name)
{
    for (size_t i = 0; i < r->n_cols; i++)
        if (strcmp(r->cols[i].name, name) == 0)
            return (ssize_t)i;
    return -1;
}

/* The columns, checked as far as they can be without the type. */
static dfa_status read_header(dfa_csv *r, dfa_error *err)
{
    char shown[SHOWN];
    for (size_t i = 0; i < r->n_cells; i++) {
        const char *name = r->rec + r->cell_at[i];
        size_t len = r->cell_len[i];
        bool data = strncmp(name, "data.", 5) == 0 && len > 5;
        if (strlen(name) != len || (!data && !is_envelope(name)) ||
            (data && !dfa_text_is_id(name + 5, DFA_EVENT_ID_MAX)))
            return dfa_fail(err, DFA_ERR_CSV,
                            "header: column %zu: unknown column \"%s\" (envelope fields by name, data fields as data.<field>)",
                            i + 1, dfa_text_escape(name, len, shown, sizeof shown));
        if (find_column(r, name) >= 0)
            return dfa_fail(err, DFA_ERR_CSV, "header: column %zu: \"%s\" is also column %zd", i + 1, name,
                            find_column(r, name) + 1);
        if (!(r->cols[i].name = strdup(name)))
            return dfa_fail(err, DFA_ERR_NOMEM, "header: out of memory");
        r->cols[i].kind = data ? COL_DATA : COL_ENVELOPE;
        r->cols[i].key = data ? NULL : r->cols[i].name;
        r->n_cols++;
    }
    for (size_t i = 0; required_envelope[i]; i++)
        if (find_column(r, required_envelope[i]) < 0)
            return dfa_fail(err, DFA_ERR_CSV, "header: missing column \"%s\" (required)", required_envelope[i]);
    r->has_schema_version = find_column(r, "schema_version") >= 0;
    r->header_read = true;
    return DFA_OK;
}

/* The data column named data.<rest>, resolved against the type. */
static dfa_status bind_column(const dfa_event_type *t, column *col, dfa_error *err)
{
    const char *rest = col->name + 5, *dot = strrchr(rest, '.');
    const dfa_field_spec *f = dfa_event_type_field(t, rest);
    if (f && f->type == DFA_FIELD_MONEY)
        return dfa_fail(err, DFA_ERR_CSV, "header: %s is money: give it as two columns, %s.amount and %s.currency",
                        col->name, col->name, col->name);
    if (!f && dot) {
        char field[DFA_EVENT_ID_MAX + 1];
        snprintf(field, sizeof field, "%.*s", (int)(dot - rest), rest);
        f = dfa_event_type_field(t, field);
        if (f && f->type == DFA_FIELD_MONEY && (strcmp(dot, ".amount") == 0 || strcmp(dot, ".currency") == 0))
            col->kind = dot[1] == 'a' ? COL_AMOUNT : COL_CURRENCY;
        else
            f = NULL;
    }
    if (!f)
        return dfa_fail(err, DFA_ERR_CSV, "header: unknown column \"%s\" for type %s", col->name, t->name);
    col->spec = f;
    col->key = f->name;
    return DFA_OK;
}

/* Checks the header against the type of the file. */
static dfa_status bind_type(dfa_csv *r, const dfa_event_type *t, dfa_error *err)
{
    char name[DFA_EVENT_ID_MAX + 16];
    for (size_t i = 0; i < r->n_cols; i++) {
        dfa_status st = r->cols[i].kind == COL_ENVELOPE ? DFA_OK : bind_column(t, &r->cols[i], err);
        if (st)
            return st;
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        const dfa_field_spec *f = &t->fields[i];
        bool money = f->type == DFA_FIELD_MONEY;
        snprintf(name, sizeof name, money ? "data.%s.amount" : "data.%s", f->name);
        bool first = find_column(r, name) >= 0;
        if (!money && !first && f->required)
            return dfa_fail(err, DFA_ERR_CSV, "header: missing column \"%s\", required for type %s", name, t->name);
        if (!money)
            continue;
        snprintf(name, sizeof name, "data.%s.currency", f->name);
        bool second = find_column(r, name) >= 0;
        if ((f->required && !(first && second)) || first != second)
            return dfa_fail(err, DFA_ERR_CSV, "header: missing column \"data.%s.%s\"%s%s", f->name,
                            first ? "currency" : "amount", f->required ? ", required for type " : " (money takes both)",
                            f->required ? t->name : "");
    }
    r->type = t;
    return DFA_OK;
}

/* ---- cells to JSON ---- */

/* A whole number as JSON, or the text itself (the validator then says what was expected). */
static json_t *integer_or_text(const char *s, size_t len)
{
    size_t i = s[0] == '-';
    bool digits = i < len;
    for (; i < len; i++)
        digits &= s[i] >= '0' && s[i] <= '9';
    if (digits) {
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == 0)
            return json_integer((json_int_t)v);
    }
    return json_stringn(s, len);
}

/* true/false in any case (spreadsheets write TRUE), or the text itself. */
static json_t *boolean_or_text(const char *s, size_t len)
{
    if (strcasecmp(s, "true") == 0)
        return json_true();
    if (strcasecmp(s, "false") == 0)
        return json_false();
    return json_stringn(s, len);
}

/* Items separated by ';', each kept as it is (an empty one included: the validator names it). */
static json_t *list_of(const char *s, size_t len)
{
    json_t *a = json_array();
    const char *end = s + len;
    for (const char *p = s; a; p++) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        if (json_array_append_new(a, json_stringn(p, (size_t)(stop - p))) != 0) {
            json_decref(a);
            return NULL;
        }
        if (!semi)
            break;
        p = semi;
    }
    return a;
}

static json_t *cell_value(const column *col, const char *s, size_t len)
{
    if (col->kind == COL_ENVELOPE) {
        if (strcmp(col->key, "schema_version") == 0)
            return integer_or_text(s, len);
        return strcmp(col->key, "estimate") == 0 ? boolean_or_text(s, len) : json_stringn(s, len);
    }
    if (col->kind == COL_AMOUNT)
        return integer_or_text(s, len);
    if (col->kind == COL_CURRENCY)
        return json_stringn(s, len);
    switch (col->spec->type) {
    case DFA_FIELD_INTEGER: return integer_or_text(s, len);
    case DFA_FIELD_BOOLEAN: return boolean_or_text(s, len);
    case DFA_FIELD_COUNTRY_LIST:
    case DFA_FIELD_METRIC_LIST: return list_of(s, len);
    default: return json_stringn(s, len);
    }
}

/* Puts v at its place in the event (data, or a money object in data). */
static bool place(json_t *ev, json_t *data, const column *col, json_t *v)
{
    if (col->kind == COL_ENVELOPE)
        return json_object_set_new(ev, col->key, v) == 0;
    if (col->kind == COL_DATA)
        return json_object_set_new(data, col->key, v) == 0;
    json_t *money = json_object_get(data, col->key);
    if (!money && json_object_set_new(data, col->key, money = json_object()) != 0) {
        json_decref(v);
        return false;
    }
    return json_object_set_new(money, col->kind == COL_AMOUNT ? "amount" : "currency", v) == 0;
}

/* The type a row names, when it is a catalog type. */
static const dfa_event_type *row_type(const dfa_csv *r)
{
    ssize_t i = find_column(r, "type");
    return dfa_catalog_type(r->cat, r->rec + r->cell_at[i]);
}

/* The row as an event object. Before the type is known (the row names no
 * catalog type), data stays empty: the validator stops at the envelope. */
static dfa_status row_event(dfa_csv *r, json_t **out, dfa_error *err)
{
    char shown[SHOWN], name[SHOWN + 4];
    const dfa_event_type *t = row_type(r);
    if (t && r->type && t != r->type)
        return dfa_fail(err, DFA_ERR_CSV, "type: %s in a file of %s events (one type per file)", t->name,
                        r->type->name);
    json_t *ev = json_object(), *data = json_object();
    bool ok = ev && data;
    for (size_t i = 0; ok && i < r->n_cols; i++) {
        const char *s = r->rec + r->cell_at[i];
        size_t len = r->cell_len[i];
        if (len == 0 || (r->cols[i].kind != COL_ENVELOPE && !r->type))
            continue;
        if (!dfa_text_is_utf8(s, len) || strlen(s) != len) {
            json_decref(ev);
            json_decref(data);
            return dfa_fail(err, DFA_ERR_CSV, "cell %zu%s: not valid UTF-8 text: \"%s\"", i + 1,
                            column_name(r, i, name, sizeof name), dfa_text_escape(s, len, shown, sizeof shown));
        }
        json_t *v = cell_value(&r->cols[i], s, len);
        ok = v && place(ev, data, &r->cols[i], v);
    }
    if (ok && !r->has_schema_version)
        ok = json_object_set_new(ev, "schema_version", json_integer(DFA_SCHEMA_VERSION)) == 0;
    if (ok)
        ok = json_object_set_new(ev, "data", data) == 0;
    else
        json_decref(data);
    if (!ok) {
        json_decref(ev);
        return dfa_fail(err, DFA_ERR_NOMEM, "row: out of memory");
    }
    *out = ev;
    return DFA_OK;
}

static bool blank_record(const dfa_csv *r)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->cell_len[i])
            return false;
    return true;
}

static dfa_csv_result stop(dfa_csv *r, size_t line, size_t *line_out)
{
    r->stopped = true;
    *line_out = line;
    return DFA_CSV_STOP;
}

dfa_csv_result dfa_csv_next(dfa_csv *r, json_t **event, size_t *line, dfa_error *err)
{
    *event = NULL;
    while (!r->stopped) {
        bool got;
        size_t start = *line = r->line;
        dfa_status st = read_record(r, &got, err);
        if (r->in && ferror(r->in)) {
            dfa_fail(err, DFA_ERR_IO, "read error");
            return stop(r, r->line, line);
        }
        if (st) {
            skip_line(r);
            if (!r->header_read)
                return stop(r, start, line);
            return DFA_CSV_INVALID;
        }
        if (!got)
            break;
        if (blank_record(r))
            continue;
        if (!r->header_read) {
            r->header_line = start;
            if (read_header(r, err) != DFA_OK)
                return stop(r, start, line);
            continue;
        }
        if (r->n_cells != r->n_cols) {
            dfa_fail(err, DFA_ERR_CSV, "expected %zu cells as in the header, got %zu", r->n_cols, r->n_cells);
            return DFA_CSV_INVALID;
        }
        const dfa_event_type *t = r->type ? NULL : row_type(r);
        if (t && bind_type(r, t, err) != DFA_OK)
            return stop(r, r->header_line, line);
        if (row_event(r, event, err) != DFA_OK)
            return DFA_CSV_INVALID;
        return DFA_CSV_EVENT;
    }
    return DFA_CSV_END;
}
