#include "dfa_ingest.h"

#include <jansson.h>
#include <string.h>
#include <stdlib.h>

#include "dfa_array.h"
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

bool dfa_ingest_accepts(dfa_body_format f) { return f != DFA_BODY_CSV; }

static dfa_status add(dfa_records *out, const char *text, size_t len, size_t line, size_t max, dfa_error *err)
{
    if (out->n == max)
        return dfa_fail(err, DFA_ERR_LIMIT, "more than %zu events in one request", max);
    if (!dfa_array_reserve((void **)&out->items, &out->cap, out->n + 1, sizeof *out->items))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    out->items[out->n++] = (dfa_record){text, len, line};
    return DFA_OK;
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

dfa_status dfa_ingest_split(dfa_body_format f, const char *body, size_t len, size_t max, dfa_records *out,
                            dfa_error *err)
{
    switch (f) {
    case DFA_BODY_NDJSON: return split_ndjson(body, len, max, out, err);
    case DFA_BODY_JSON: return split_json(body, len, max, out, err);
    case DFA_BODY_CSV: break;
    }
    return dfa_fail(err, DFA_ERR_JSON, "text/csv is not taken yet");
}

void dfa_records_free(dfa_records *r)
{
    free(r->items);
    *r = (dfa_records){0};
}
