#include "dfa_ingest.h"

#include <jansson.h>
#include <string.h>
#include <stdlib.h>

#include "dfa_array.h"
#include "dfa_csv.h"
#include "dfa_ndjson.h"

bool dfa_ingest_format(const char *media_type, dfa_body_format *out)
{
    static const struct {
        const char *media;
        dfa_body_format format;
    } formats[] = {{"application/x-ndjson", DFA_BODY_NDJSON}, {"application/json", DFA_BODY_JSON},
                   {"text/csv", DFA_BODY_CSV}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(media_type, formats[i].media) == 0) {
            *out = formats[i].format;
            return true;
        }
    }
    return false;
}

static dfa_status add(dfa_records *out, const char *text, size_t len, size_t line, size_t max, dfa_error *err)
{
    if (out->n == max)
        return dfa_fail(err, DFA_ERR_LIMIT, "more than %zu events in one request", max);
    if (!dfa_array_reserve((void **)&out->items, &out->cap, out->n + 1, sizeof *out->items))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    out->items[out->n++] = (dfa_record){.text = text, .len = len, .line = line};
    return DFA_OK;
}

/* A record of text the split made: out owns it from here, even on failure. */
static dfa_status add_owned(dfa_records *out, char *text, size_t line, size_t max, dfa_error *err)
{
    dfa_status st = add(out, text, strlen(text), line, max, err);
    if (st != DFA_OK)
        free(text);
    else
        out->items[out->n - 1].owned = text;
    return st;
}

/* A row that is no event: its reason travels in the record. */
static dfa_status add_invalid(dfa_records *out, size_t line, const dfa_error *why, size_t max, dfa_error *err)
{
    dfa_status st = add(out, "", 0, line, max, err);
    if (st == DFA_OK)
        out->items[out->n - 1].invalid = *why;
    return st;
}

/* Does any record parse as JSON? An NDJSON body where none does is not NDJSON. */
static bool any_json(const dfa_records *r)
{
    for (size_t i = 0; i < r->n; i++) {
        json_t *v = json_loadb(r->items[i].text, r->items[i].len, JSON_DECODE_ANY, NULL);
        if (v) {
            json_decref(v);
            return true;
        }
    }
    return false;
}

static dfa_status split_ndjson(const char *body, size_t len, size_t max, dfa_records *out, dfa_error *err)
{
    size_t pos = 0, lineno = 0, n;
    const char *line;
    while (dfa_ndjson_next_in(body, len, &pos, &lineno, &line, &n)) {
        dfa_status st = add(out, line, n, lineno, max, err);
        if (st)
            return st;
    }
    if (out->n == 0)
        return dfa_fail(err, DFA_ERR_JSON, "the body holds no event");
    if (!any_json(out))
        return dfa_fail(err, DFA_ERR_JSON, "no line of the body is JSON: is it NDJSON?");
    return DFA_OK;
}

/* Moves *pos past whitespace, counting lines. */
static void skip_space(const char *body, size_t len, size_t *pos, size_t *line)
{
    while (*pos < len && strchr(" \t\r\n", body[*pos]) && body[*pos]) {
        if (body[*pos] == '\n')
            ++*line;
        ++*pos;
    }
}

/* One JSON value from *pos: its bytes become a record (dfa_event_parse judges
 * them); *pos moves past it. */
static dfa_status take_value(const char *body, size_t len, size_t *pos, size_t *line, size_t max, dfa_records *out,
                             dfa_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(body + *pos, len - *pos, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
    if (!v)
        return dfa_fail(err, DFA_ERR_JSON, "line %d, column %d: %s", jerr.line + (int)*line - 1, jerr.column,
                        jerr.text);
    json_decref(v);
    size_t n = (size_t)jerr.position;
    dfa_status st = add(out, body + *pos, n, *line, max, err);
    for (size_t i = 0; i < n; i++)
        if (body[*pos + i] == '\n')
            ++*line;
    *pos += n;
    return st;
}

static dfa_status split_json(const char *body, size_t len, size_t max, dfa_records *out, dfa_error *err)
{
    size_t pos = 0, line = 1;
    skip_space(body, len, &pos, &line);
    dfa_status st;
    if (pos < len && body[pos] == '{') {
        if ((st = take_value(body, len, &pos, &line, max, out, err)))
            return st;
    } else if (pos < len && body[pos] == '[') {
        pos++;
        skip_space(body, len, &pos, &line);
        if (pos < len && body[pos] == ']')
            return dfa_fail(err, DFA_ERR_JSON, "the array holds no event");
        for (;;) {
            skip_space(body, len, &pos, &line);
            if ((st = take_value(body, len, &pos, &line, max, out, err)))
                return st;
            skip_space(body, len, &pos, &line);
            if (pos < len && body[pos] == ']') {
                pos++;
                break;
            }
            if (pos >= len || body[pos] != ',')
                return dfa_fail(err, DFA_ERR_JSON, "line %zu: expected ',' or ']' after an event of the array", line);
            pos++;
        }
    } else {
        return dfa_fail(err, DFA_ERR_JSON, "expected an event object or an array of events");
    }
    skip_space(body, len, &pos, &line);
    if (pos != len)
        return dfa_fail(err, DFA_ERR_JSON, "line %zu: more after the end of the JSON value", line);
    return DFA_OK;
}

/* Each row as the JSON text dfa_csv makes of it: what dfa-check validates of
 * a .csv file, and what is published. */
static dfa_status split_csv(const dfa_catalog *cat, const char *body, size_t len, size_t max, dfa_records *out,
                            dfa_error *err)
{
    dfa_csv *r = dfa_csv_from_buffer(cat, body, len);
    if (!r)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = DFA_OK;
    json_t *ev;
    size_t line;
    dfa_error row = {0};
    dfa_csv_result res;
    while (st == DFA_OK && (res = dfa_csv_next(r, &ev, &line, &row)) != DFA_CSV_END) {
        if (res == DFA_CSV_STOP) {
            st = dfa_fail(err, DFA_ERR_CSV, "line %zu: %s", line, row.msg);
        } else if (res == DFA_CSV_INVALID) {
            st = add_invalid(out, line, &row, max, err);
        } else {
            char *text = json_dumps(ev, JSON_COMPACT);
            json_decref(ev);
            st = text ? add_owned(out, text, line, max, err) : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        }
    }
    dfa_csv_free(r);
    if (st == DFA_OK && out->n == 0)
        return dfa_fail(err, DFA_ERR_CSV, "the body holds no event");
    return st;
}

dfa_status dfa_ingest_split(dfa_body_format f, const dfa_catalog *cat, const char *body, size_t len, size_t max,
                            dfa_records *out, dfa_error *err)
{
    switch (f) {
    case DFA_BODY_NDJSON: return split_ndjson(body, len, max, out, err);
    case DFA_BODY_JSON: return split_json(body, len, max, out, err);
    case DFA_BODY_CSV: return split_csv(cat, body, len, max, out, err);
    }
    return dfa_fail(err, DFA_ERR_JSON, "unknown body format");
}

void dfa_records_free(dfa_records *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].owned);
    free(r->items);
    *r = (dfa_records){0};
}
