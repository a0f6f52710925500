/* dfa_csv: reading events from CSV (RFC 4180) of one event type per file, as
 * a department's spreadsheet exports it (docs/events.md, "CSV").
 *
 * Each data row becomes one JSON event object with the line it starts on.
 * The reader only converts cells to the JSON types the catalog's field specs
 * want; it does not validate: give the object to dfa_event_parse (as the
 * bytes json_dumps writes), so a CSV row and the equivalent NDJSON line get
 * the same validation and the same reasons.
 *
 * The header row names the columns: the envelope fields by their names
 * (event_id, type, occurred_at, province, reporter, and optionally
 * schema_version, op, ref, estimate) and the data fields as data.<field>;
 * money fields take two columns, data.<field>.amount and
 * data.<field>.currency; lists (country_list, metric_list) are one cell of
 * items separated by ';'. An empty cell leaves its field out. Without a
 * schema_version column every event gets schema_version 1.
 *
 * The type is fixed by the first data row whose `type` names a catalog type;
 * the header is then checked against it (every required field has its
 * columns, every column is a field of the type).
 *
 * Bounded whatever the input: a record (a row, with the newlines inside its
 * quoted cells) of at most DFA_CSV_MAX_RECORD_BYTES, at most
 * DFA_CSV_MAX_COLUMNS cells, each at most DFA_CSV_MAX_CELL_BYTES; the reader
 * holds one record at a time (plus, from a FILE, one chunk of input). */
#ifndef DFA_CSV_H
#define DFA_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "dfa_catalog.h"

struct json_t;

#define DFA_CSV_MAX_RECORD_BYTES 65536
#define DFA_CSV_MAX_COLUMNS 64
#define DFA_CSV_MAX_CELL_BYTES 8192

typedef struct dfa_csv dfa_csv;

typedef enum {
    DFA_CSV_EVENT,   /* a row became an event object */
    DFA_CSV_INVALID, /* a row could not become one (err says why); reading goes on with the next row */
    DFA_CSV_END,     /* no more rows */
    DFA_CSV_STOP,    /* the header is wrong or the input cannot be read (err says why); no more rows */
} dfa_csv_result;

/* A reader of len bytes of CSV at buf (the whole body of a request): buf and
 * cat are borrowed and must outlive the reader. NULL when out of memory.
 * Free with dfa_csv_free. */
dfa_csv *dfa_csv_from_buffer(const dfa_catalog *cat, const char *buf, size_t len);

/* A reader of the stream in (borrowed, read in chunks; never closed by the
 * reader); cat is borrowed. NULL when out of memory. Free with dfa_csv_free. */
dfa_csv *dfa_csv_from_file(const dfa_catalog *cat, FILE *in);

/* The next data row; blank rows (no cell with anything in it) are skipped.
 * *line is the line the row (or, for DFA_CSV_STOP, the header or the failed
 * read) starts on, counted from 1. On DFA_CSV_EVENT *event is a new JSON
 * object that belongs to the caller (json_decref); otherwise *event is NULL
 * and err (code DFA_ERR_CSV, DFA_ERR_LIMIT or DFA_ERR_IO) says what, where and
 * why, with the input it echoes escaped (dfa_text_escape). After
 * DFA_CSV_STOP every call returns DFA_CSV_END. */
dfa_csv_result dfa_csv_next(dfa_csv *r, struct json_t **event, size_t *line, dfa_error *err);

void dfa_csv_free(dfa_csv *r);

#endif
