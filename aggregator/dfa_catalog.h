/* dfa_catalog: the event types, their fields and the metrics they feed, as
 * loaded from config/catalog.json and checked at startup (docs/events.md).
 *
 * The catalog owns every string and struct it hands out; they live until
 * dfa_catalog_free. */
#ifndef DFA_CATALOG_H
#define DFA_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_error.h"

typedef enum {
    DFA_FIELD_INTEGER,      /* whole number within [min, max] */
    DFA_FIELD_TEXT,         /* free UTF-8 text, at most max_len bytes; never in keys */
    DFA_FIELD_ID,           /* identifier [A-Za-z0-9._:-], at most 64 */
    DFA_FIELD_ENUM,         /* one of values */
    DFA_FIELD_BOOLEAN,
    DFA_FIELD_COUNTRY,      /* ISO 3166-1 alpha-2 */
    DFA_FIELD_COUNTRY_LIST, /* 1..max_items distinct alpha-2 codes */
    DFA_FIELD_MONEY,        /* {"amount": minor units 0..max, "currency": ISO 4217} */
    DFA_FIELD_DATE,         /* YYYY-MM-DD */
    DFA_FIELD_PERIOD,       /* a period id (dfa_period.h) */
    DFA_FIELD_METRIC,       /* the name of a catalog metric */
    DFA_FIELD_METRIC_LIST,  /* 1..max_items metric names */
    DFA_FIELD__COUNT
} dfa_field_type;

typedef struct {
    const char *name;
    dfa_field_type type;
    bool required;
    int64_t min, max;    /* integer bounds; max also bounds money amounts */
    size_t max_len;      /* text length, or list items */
    const char **values; /* enum values */
    size_t n_values;
} dfa_field_spec;

typedef enum {
    DFA_KIND_FLOW,     /* sum of the period's events */
    DFA_KIND_STOCK,    /* balance at the period's end of +/- lifecycle events */
    DFA_KIND_GAUGE,    /* last value reported at or before the period's end */
    DFA_KIND_DISTINCT, /* number of different ids in the period */
    DFA_KIND_PLAN,     /* a target set for a period */
    DFA_KIND__COUNT
} dfa_metric_kind;

/* A breakdown a report shows as "trong đó" sub-lines: the dimension, and the
 * values shown with their Vietnamese words (n_values 0: every value the
 * figures have, countries named by dfa_catalog_country_vi). */
typedef struct {
    const char *dim;
    const char **values, **labels_vi;
    size_t n_values;
} dfa_report_dim;

typedef struct {
    const char *name;
    dfa_metric_kind kind;
    bool money;           /* amounts per currency in minor units */
    const char *label_vi; /* "Đoàn ra" */
    const char *unit_vi;  /* "đoàn"; "" for money */
    const char *with;     /* a companion metric shown beside it in summaries ("53 thành viên"), or NULL */
    const char *phrase_vi; /* how the reports word an amount of it, "{n}" the number: "{n} đoàn",
                            * "cất bốc {n} bộ"; "{n} <unit_vi>" unless the catalog says */
    dfa_report_dim *report_by; /* sub-lines of the reports, in catalog order */
    size_t n_report_by;
} dfa_metric;

typedef struct {
    const dfa_metric *metric;
    int sign;                    /* +1, or -1 for a stock's closing events */
    const dfa_field_spec *value; /* integer or money field; NULL counts 1 */
    const dfa_field_spec *id;    /* distinct: the field whose values are counted */
    const dfa_field_spec **by;   /* breakdown fields, each its own rows */
    size_t n_by;
} dfa_feed;

typedef enum {
    DFA_HANDLER_FEEDS, /* the type's feeds say what it adds */
    DFA_HANDLER_PLAN,  /* plan.target.set: data.metric, data.period, data.value or data.amount */
    DFA_HANDLER_NIL,   /* report.nil_declared: data.metrics, data.period */
} dfa_handler;

typedef struct {
    const char *name;
    const char *label_vi;
    dfa_handler handler;
    dfa_field_spec *fields;
    size_t n_fields;
    dfa_feed *feeds;
    size_t n_feeds;
} dfa_event_type;

/* A section of the reports: a figure family of DOMAIN.md and its metrics in
 * the order the reports give them. Every metric is in exactly one. */
typedef struct {
    const char *title_vi;
    const dfa_metric **metrics;
    size_t n_metrics;
} dfa_report_section;

typedef struct dfa_catalog dfa_catalog;

/* Loads and checks a catalog. On success *out belongs to the caller (free with
 * dfa_catalog_free). Every error names the file, the type and the key. */
dfa_status dfa_catalog_load(const char *path, dfa_catalog **out, dfa_error *err);
void dfa_catalog_free(dfa_catalog *c);

const dfa_event_type *dfa_catalog_type(const dfa_catalog *c, const char *name);
const dfa_metric *dfa_catalog_metric(const dfa_catalog *c, const char *name);
bool dfa_catalog_is_reporter(const dfa_catalog *c, const char *role);

size_t dfa_catalog_type_count(const dfa_catalog *c);
const dfa_event_type *dfa_catalog_type_at(const dfa_catalog *c, size_t i);
size_t dfa_catalog_metric_count(const dfa_catalog *c);
const dfa_metric *dfa_catalog_metric_at(const dfa_catalog *c, size_t i);

size_t dfa_catalog_section_count(const dfa_catalog *c);
const dfa_report_section *dfa_catalog_section_at(const dfa_catalog *c, size_t i);

/* The Vietnamese name of an ISO country code ("JP" -> "Nhật Bản"), NULL when the catalog has none. */
const char *dfa_catalog_country_vi(const dfa_catalog *c, const char *code);

const dfa_field_spec *dfa_event_type_field(const dfa_event_type *t, const char *name);

const char *dfa_metric_kind_name(dfa_metric_kind kind);
const char *dfa_field_type_name(dfa_field_type type);

#endif
