#include "dfa_catalog.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_iso.h"
#include "dfa_text.h"

#define NAME_MAX_LEN 48
#define MONEY_MAX_DEFAULT INT64_C(1000000000000000) /* 10^15 minor units */
#define LIST_MAX_DEFAULT 50

struct dfa_catalog {
    json_t *root; /* every const char * below points into it */
    dfa_metric *metrics;
    size_t n_metrics;
    dfa_event_type *types;
    size_t n_types;
    const char **reporters;
    size_t n_reporters;
    json_t *countries_vi; /* borrowed from root: code -> Vietnamese name */
    dfa_report_section *sections;
    size_t n_sections;
};

static const char *const kind_names[DFA_KIND__COUNT] = {"flow", "stock", "gauge", "distinct", "plan"};
static const char *const field_type_names[DFA_FIELD__COUNT] = {
    "integer", "text", "id", "enum", "boolean", "country", "country_list",
    "money", "date", "period", "metric", "metric_list"};

const char *dfa_metric_kind_name(dfa_metric_kind k)
{
    return (unsigned)k < DFA_KIND__COUNT ? kind_names[k] : "unknown";
}

const char *dfa_field_type_name(dfa_field_type t)
{
    return (unsigned)t < DFA_FIELD__COUNT ? field_type_names[t] : "unknown";
}

static int index_of(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* Rejects keys of obj not in allowed (NULL-terminated): unknown keys are errors. */
static dfa_status only_keys(json_t *obj, const char *const *allowed, const char *where, dfa_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i])
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: unknown key \"%s\"", where, DFA_TEXT_SHOWN(key, 44));
    }
    return DFA_OK;
}

static dfa_status get_string(json_t *obj, const char *key, bool required, const char **out,
                             const char *where, dfa_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (required)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: missing key \"%s\"", where, key);
        return DFA_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.%s: expected a non-empty string", where, key);
    *out = json_string_value(v);
    return DFA_OK;
}

static dfa_status get_integer(json_t *obj, const char *key, bool required, int64_t dflt,
                              int64_t *out, const char *where, dfa_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v)
        return required ? dfa_fail(err, DFA_ERR_CATALOG, "%s: missing key \"%s\"", where, key) : DFA_OK;
    if (!json_is_integer(v))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.%s: expected an integer", where, key);
    *out = json_integer_value(v);
    return DFA_OK;
}

static dfa_status load_reporters(dfa_catalog *c, json_t *arr, dfa_error *err)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "reporters: expected a non-empty array of role names");
    c->reporters = calloc(json_array_size(arr), sizeof *c->reporters);
    if (!c->reporters)
        return dfa_fail(err, DFA_ERR_NOMEM, "reporters: out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || !dfa_text_is_name(json_string_value(v), NAME_MAX_LEN))
            return dfa_fail(err, DFA_ERR_CATALOG, "reporters[%zu]: expected a name of [a-z0-9_]", i);
        c->reporters[c->n_reporters++] = json_string_value(v);
    }
    return DFA_OK;
}

/* "report_by": {"format": {"online": "trực tuyến", ...}, "countries": {}}: the sub-lines. */
static dfa_status load_report_by(json_t *obj, dfa_metric *m, const char *where, dfa_error *err)
{
    json_t *by = json_object_get(obj, "report_by");
    if (!by)
        return DFA_OK;
    if (!json_is_object(by))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.report_by: expected an object (breakdown -> {value: label_vi})", where);
    m->report_by = calloc(json_object_size(by) + 1, sizeof *m->report_by);
    if (!m->report_by)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
    const char *dim;
    json_t *values;
    json_object_foreach(by, dim, values) {
        dfa_report_dim *d = &m->report_by[m->n_report_by++];
        d->dim = dim;
        if (!json_is_object(values))
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.report_by.%s: expected an object {value: label_vi}", where,
                            DFA_TEXT_SHOWN(dim, 44));
        d->values = calloc(json_object_size(values) + 1, sizeof *d->values);
        d->labels_vi = calloc(json_object_size(values) + 1, sizeof *d->labels_vi);
        if (!d->values || !d->labels_vi)
            return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
        const char *value;
        json_t *label;
        json_object_foreach(values, value, label) {
            if (!json_is_string(label) || json_string_length(label) == 0)
                return dfa_fail(err, DFA_ERR_CATALOG, "%s.report_by.%s.%s: expected a non-empty string", where,
                                DFA_TEXT_SHOWN(dim, 44), DFA_TEXT_SHOWN(value, 44));
            d->values[d->n_values] = value;
            d->labels_vi[d->n_values++] = json_string_value(label);
        }
    }
    return DFA_OK;
}

static dfa_status load_metric(const char *name, json_t *obj, dfa_metric *m, dfa_error *err)
{
    static const char *const keys[] = {"unit", "label_vi", "unit_vi", "with", "phrase_vi", "report_by", NULL};
    char where[96];
    snprintf(where, sizeof where, "metric %s", DFA_TEXT_SHOWN(name, 64)); /* checked just below */
    if (!dfa_text_is_name(name, NAME_MAX_LEN))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: a metric name is 1..%d characters of [a-z0-9_]",
                        where, NAME_MAX_LEN);
    if (!json_is_object(obj))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: expected an object", where);
    const char *unit;
    dfa_status st;
    if ((st = only_keys(obj, keys, where, err)) || (st = get_string(obj, "unit", true, &unit, where, err)) ||
        (st = get_string(obj, "label_vi", true, &m->label_vi, where, err)) ||
        (st = get_string(obj, "unit_vi", false, &m->unit_vi, where, err)) ||
        (st = get_string(obj, "with", false, &m->with, where, err)) ||
        (st = get_string(obj, "phrase_vi", false, &m->phrase_vi, where, err)) ||
        (st = load_report_by(obj, m, where, err)))
        return st;
    if (m->phrase_vi && (!strstr(m->phrase_vi, "{n}") || strstr(strstr(m->phrase_vi, "{n}") + 3, "{n}")))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.phrase_vi: needs \"{n}\" (the number) exactly once", where);
    if (strcmp(unit, "count") != 0 && strcmp(unit, "money") != 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.unit: expected \"count\" or \"money\", got \"%s\"",
                        where, DFA_TEXT_SHOWN(unit, 24));
    m->money = unit[0] == 'm';
    if (!m->money && !m->unit_vi)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: missing key \"unit_vi\" (a count needs its unit)", where);
    if (!m->unit_vi)
        m->unit_vi = "";
    m->name = name;
    m->kind = DFA_KIND__COUNT; /* set by the first feed */
    return DFA_OK;
}

static dfa_status load_metrics(dfa_catalog *c, json_t *obj, dfa_error *err)
{
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "metrics: expected a non-empty object");
    c->metrics = calloc(json_object_size(obj), sizeof *c->metrics);
    if (!c->metrics)
        return dfa_fail(err, DFA_ERR_NOMEM, "metrics: out of memory");
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        dfa_status st = load_metric(name, v, &c->metrics[c->n_metrics], err);
        c->n_metrics++; /* counted even on failure so dfa_catalog_free releases it */
        if (st)
            return st;
    }
    return DFA_OK;
}

static dfa_status load_enum_values(json_t *obj, dfa_field_spec *f, const char *where, dfa_error *err)
{
    json_t *vals = json_object_get(obj, "values");
    if (!json_is_array(vals) || json_array_size(vals) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.values: an enum needs a non-empty array", where);
    f->values = calloc(json_array_size(vals), sizeof *f->values);
    if (!f->values)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v) {
        if (!json_is_string(v) || !dfa_text_is_name(json_string_value(v), NAME_MAX_LEN))
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.values[%zu]: expected a name of [a-z0-9_]", where, i);
        if (index_of(f->values, f->n_values, json_string_value(v)) >= 0)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.values[%zu]: \"%s\" appears twice", where, i,
                            json_string_value(v));
        f->values[f->n_values++] = json_string_value(v);
    }
    return DFA_OK;
}

static dfa_status load_field(const char *name, json_t *obj, dfa_field_spec *f, const char *type_where,
                             dfa_error *err)
{
    static const char *const keys[] = {"type", "required", "min", "max", "values", "max_len", NULL};
    char where[160];
    snprintf(where, sizeof where, "%s: fields.%s", type_where, DFA_TEXT_SHOWN(name, 64));
    if (!dfa_text_is_name(name, NAME_MAX_LEN))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: a field name is [a-z0-9_]", where);
    if (!json_is_object(obj))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: expected an object", where);
    const char *type;
    dfa_status st;
    if ((st = only_keys(obj, keys, where, err)) || (st = get_string(obj, "type", true, &type, where, err)))
        return st;
    int t = index_of(field_type_names, DFA_FIELD__COUNT, type);
    if (t < 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.type: unknown field type \"%s\"", where, DFA_TEXT_SHOWN(type, 28));
    f->name = name;
    f->type = (dfa_field_type)t;
    json_t *req = json_object_get(obj, "required");
    if (req && !json_is_boolean(req))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.required: expected true or false", where);
    f->required = json_is_true(req);
    int64_t max_len;
    switch (f->type) {
    case DFA_FIELD_INTEGER:
        if ((st = get_integer(obj, "min", true, 0, &f->min, where, err)) ||
            (st = get_integer(obj, "max", true, 0, &f->max, where, err)))
            return st;
        if (f->min > f->max || f->min < -MONEY_MAX_DEFAULT || f->max > MONEY_MAX_DEFAULT)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: need min <= max within +/-10^15", where);
        return DFA_OK;
    case DFA_FIELD_MONEY:
        if ((st = get_integer(obj, "max", false, MONEY_MAX_DEFAULT, &f->max, where, err)))
            return st;
        if (f->max < 1 || f->max > MONEY_MAX_DEFAULT)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.max: expected 1..10^15", where);
        return DFA_OK;
    case DFA_FIELD_ENUM:
        return load_enum_values(obj, f, where, err);
    case DFA_FIELD_TEXT:
    case DFA_FIELD_COUNTRY_LIST:
    case DFA_FIELD_METRIC_LIST:
        if ((st = get_integer(obj, "max_len", f->type == DFA_FIELD_TEXT, LIST_MAX_DEFAULT, &max_len,
                              where, err)))
            return st;
        if (max_len < 1 || max_len > 65536)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.max_len: expected 1..65536", where);
        f->max_len = (size_t)max_len;
        return DFA_OK;
    default:
        return DFA_OK;
    }
}

static dfa_status load_fields(dfa_event_type *t, json_t *obj, const char *where, dfa_error *err)
{
    if (!obj)
        return DFA_OK;
    if (!json_is_object(obj))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: fields: expected an object", where);
    t->fields = calloc(json_object_size(obj) + 1, sizeof *t->fields);
    if (!t->fields)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        dfa_status st = load_field(name, v, &t->fields[t->n_fields], where, err);
        t->n_fields++; /* counted even on failure so dfa_catalog_free releases it */
        if (st)
            return st;
    }
    return DFA_OK;
}

static const dfa_field_spec *field_named(const dfa_event_type *t, json_t *name_json)
{
    return json_is_string(name_json) ? dfa_event_type_field(t, json_string_value(name_json)) : NULL;
}

static bool is_breakdown_type(dfa_field_type t)
{
    return t == DFA_FIELD_ENUM || t == DFA_FIELD_BOOLEAN || t == DFA_FIELD_COUNTRY ||
           t == DFA_FIELD_COUNTRY_LIST;
}

static bool is_distinct_id_type(dfa_field_type t)
{
    return t == DFA_FIELD_ID || t == DFA_FIELD_ENUM || t == DFA_FIELD_COUNTRY ||
           t == DFA_FIELD_COUNTRY_LIST;
}

/* The kind a metric is fed as must be the same in every type that feeds it. */
static dfa_status bind_metric_kind(dfa_metric *m, dfa_metric_kind kind, const char *where, dfa_error *err)
{
    if (m->kind == DFA_KIND__COUNT) {
        m->kind = kind;
        return DFA_OK;
    }
    if (m->kind != kind)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: metric %s is fed as %s here but as %s elsewhere",
                        where, m->name, dfa_metric_kind_name(kind), dfa_metric_kind_name(m->kind));
    return DFA_OK;
}

static dfa_status check_feed_value(const dfa_feed *fd, dfa_metric_kind kind, json_t *value_json,
                                   const char *where, dfa_error *err)
{
    const dfa_metric *m = fd->metric;
    if (value_json && !fd->value)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.value: no such field in this type", where);
    if (kind == DFA_KIND_DISTINCT) {
        if (fd->value || m->money)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: a distinct metric counts ids: no value, no money", where);
        if (!fd->id)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.id: a distinct feed needs an id field of this type", where);
        if (!is_distinct_id_type(fd->id->type))
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.id: field %s of type %s cannot be counted as ids",
                            where, fd->id->name, dfa_field_type_name(fd->id->type));
        return DFA_OK;
    }
    if (fd->id)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.id: only distinct feeds take an id", where);
    if (kind == DFA_KIND_GAUGE && (!fd->value || fd->value->type != DFA_FIELD_INTEGER))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.value: a gauge needs an integer value field", where);
    if (m->money && (!fd->value || fd->value->type != DFA_FIELD_MONEY))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.value: metric %s is money and needs a money field", where,
                        m->name);
    if (!m->money && fd->value && fd->value->type != DFA_FIELD_INTEGER)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.value: metric %s is a count; field %s is %s", where,
                        m->name, fd->value->name, dfa_field_type_name(fd->value->type));
    if (fd->sign < 0 && kind != DFA_KIND_STOCK)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.sign: only a stock can be decreased (sign -1)", where);
    return DFA_OK;
}

static dfa_status load_feed(dfa_catalog *c, dfa_event_type *t, json_t *obj, dfa_feed *fd,
                            const char *where, dfa_error *err)
{
    static const char *const keys[] = {"metric", "kind", "value", "sign", "id", "by", NULL};
    const char *metric, *kind_name;
    dfa_status st;
    if (!json_is_object(obj))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: expected an object", where);
    if ((st = only_keys(obj, keys, where, err)) || (st = get_string(obj, "metric", true, &metric, where, err)) ||
        (st = get_string(obj, "kind", true, &kind_name, where, err)))
        return st;
    dfa_metric *m = (dfa_metric *)dfa_catalog_metric(c, metric);
    if (!m)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.metric: unknown metric \"%s\"", where, DFA_TEXT_SHOWN(metric, 52));
    int kind = index_of(kind_names, DFA_KIND_PLAN, kind_name);
    if (kind < 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.kind: unknown kind \"%s\" (flow, stock, gauge, distinct)",
                        where, DFA_TEXT_SHOWN(kind_name, 28));
    int64_t sign;
    if ((st = get_integer(obj, "sign", false, 1, &sign, where, err)))
        return st;
    if (sign != 1 && sign != -1)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.sign: expected 1 or -1", where);
    fd->metric = m;
    fd->sign = (int)sign;
    fd->value = field_named(t, json_object_get(obj, "value"));
    fd->id = field_named(t, json_object_get(obj, "id"));
    if (json_object_get(obj, "id") && !fd->id)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.id: no such field in this type", where);
    if ((st = check_feed_value(fd, (dfa_metric_kind)kind, json_object_get(obj, "value"), where, err)) ||
        (st = bind_metric_kind(m, (dfa_metric_kind)kind, where, err)))
        return st;
    json_t *by = json_object_get(obj, "by");
    if (!by)
        return DFA_OK;
    if (!json_is_array(by))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.by: expected an array of field names", where);
    fd->by = calloc(json_array_size(by) + 1, sizeof *fd->by);
    if (!fd->by)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
    size_t i;
    json_t *v;
    json_array_foreach(by, i, v) {
        const dfa_field_spec *f = field_named(t, v);
        if (!f)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s.by[%zu]: no field %s%s%s in this type", where, i,
                            json_is_string(v) ? "\"" : "",
                            json_is_string(v) ? DFA_TEXT_SHOWN(json_string_value(v), 44) : "(not a string)",
                            json_is_string(v) ? "\"" : "");
        if (!is_breakdown_type(f->type))
            return dfa_fail(err, DFA_ERR_CATALOG,
                            "%s.by[%zu]: field %s is %s; breakdowns take enum, boolean, country or country_list",
                            where, i, f->name, dfa_field_type_name(f->type));
        if (m->kind == DFA_KIND_DISTINCT && f->type != DFA_FIELD_ENUM && f->type != DFA_FIELD_BOOLEAN)
            return dfa_fail(err, DFA_ERR_CATALOG,
                            "%s.by[%zu]: field %s is %s; a distinct is read by its breakdowns' values: enum or boolean",
                            where, i, f->name, dfa_field_type_name(f->type));
        fd->by[fd->n_by++] = f;
    }
    return DFA_OK;
}

/* Built-in handlers read fixed fields: check the catalog declares them so. */
static dfa_status check_handler_fields(const dfa_event_type *t, const char *where, dfa_error *err)
{
    static const struct {
        dfa_handler handler;
        const char *field;
        dfa_field_type type;
        bool required;
    } needs[] = {
        {DFA_HANDLER_PLAN, "metric", DFA_FIELD_METRIC, true},
        {DFA_HANDLER_PLAN, "period", DFA_FIELD_PERIOD, true},
        {DFA_HANDLER_PLAN, "value", DFA_FIELD_INTEGER, false},
        {DFA_HANDLER_PLAN, "amount", DFA_FIELD_MONEY, false},
        {DFA_HANDLER_NIL, "metrics", DFA_FIELD_METRIC_LIST, true},
        {DFA_HANDLER_NIL, "period", DFA_FIELD_PERIOD, true},
    };
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        if (needs[i].handler != t->handler)
            continue;
        const dfa_field_spec *f = dfa_event_type_field(t, needs[i].field);
        if (!f || f->type != needs[i].type || f->required != needs[i].required)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: fields.%s: this handler needs a %s%s field", where,
                            needs[i].field, needs[i].required ? "required " : "optional ",
                            dfa_field_type_name(needs[i].type));
    }
    return DFA_OK;
}

static dfa_status load_type(dfa_catalog *c, const char *name, json_t *obj, dfa_event_type *t, dfa_error *err)
{
    static const char *const keys[] = {"label_vi", "handler", "fields", "feeds", NULL};
    static const char *const handlers[] = {"feeds", "plan", "nil"};
    char where[96];
    snprintf(where, sizeof where, "type %s", DFA_TEXT_SHOWN(name, 64));
    if (!dfa_text_is_id(name, NAME_MAX_LEN))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: a type name is [A-Za-z0-9._:-]", where);
    if (!json_is_object(obj))
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: expected an object", where);
    const char *handler;
    dfa_status st;
    t->name = name;
    if ((st = only_keys(obj, keys, where, err)) || (st = get_string(obj, "label_vi", true, &t->label_vi, where, err)) ||
        (st = get_string(obj, "handler", false, &handler, where, err)) ||
        (st = load_fields(t, json_object_get(obj, "fields"), where, err)))
        return st;
    int h = handler ? index_of(handlers, 3, handler) : 0;
    if (h < 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s.handler: unknown handler \"%s\" (feeds, plan, nil)", where,
                        DFA_TEXT_SHOWN(handler, 28));
    t->handler = (dfa_handler)h;
    json_t *feeds = json_object_get(obj, "feeds");
    if (t->handler != DFA_HANDLER_FEEDS) {
        if (feeds)
            return dfa_fail(err, DFA_ERR_CATALOG, "%s: feeds: a type with handler %s takes no feeds", where,
                            handler);
        return check_handler_fields(t, where, err);
    }
    if (!json_is_array(feeds) || json_array_size(feeds) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "%s: feeds: expected a non-empty array", where);
    t->feeds = calloc(json_array_size(feeds), sizeof *t->feeds);
    if (!t->feeds)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", where);
    size_t i;
    json_t *v;
    json_array_foreach(feeds, i, v) {
        char fwhere[128];
        snprintf(fwhere, sizeof fwhere, "%s: feeds[%zu]", where, i);
        st = load_feed(c, t, v, &t->feeds[t->n_feeds], fwhere, err);
        t->n_feeds++; /* counted even on failure so dfa_catalog_free releases it */
        if (st)
            return st;
    }
    return DFA_OK;
}

/* A sub-line names a breakdown some feed of the metric has, and values that field can take. */
static dfa_status check_report_by(const dfa_catalog *c, const dfa_metric *m, dfa_error *err)
{
    for (size_t k = 0; k < m->n_report_by; k++) {
        const dfa_report_dim *d = &m->report_by[k];
        const dfa_field_spec *field = NULL;
        for (size_t t = 0; t < c->n_types && !field; t++)
            for (size_t f = 0; f < c->types[t].n_feeds && !field; f++)
                for (size_t b = 0; c->types[t].feeds[f].metric == m && b < c->types[t].feeds[f].n_by; b++)
                    if (strcmp(c->types[t].feeds[f].by[b]->name, d->dim) == 0)
                        field = c->types[t].feeds[f].by[b];
        if (!field)
            return dfa_fail(err, DFA_ERR_CATALOG, "metric %s.report_by: no feed of it breaks down by \"%s\"", m->name,
                            DFA_TEXT_SHOWN(d->dim, 44));
        for (size_t v = 0; v < d->n_values; v++) {
            bool ok = field->type == DFA_FIELD_BOOLEAN ? strcmp(d->values[v], "yes") == 0 || strcmp(d->values[v], "no") == 0
                      : field->type == DFA_FIELD_ENUM ? index_of(field->values, field->n_values, d->values[v]) >= 0
                                                      : true;
            if (!ok)
                return dfa_fail(err, DFA_ERR_CATALOG, "metric %s.report_by.%s: \"%s\" is not a value of field %s", m->name,
                                d->dim, DFA_TEXT_SHOWN(d->values[v], 44), field->name);
        }
    }
    return DFA_OK;
}

static dfa_status load_types(dfa_catalog *c, json_t *obj, dfa_error *err)
{
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "types: expected a non-empty object");
    c->types = calloc(json_object_size(obj), sizeof *c->types);
    if (!c->types)
        return dfa_fail(err, DFA_ERR_NOMEM, "types: out of memory");
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        dfa_status st = load_type(c, name, v, &c->types[c->n_types], err);
        c->n_types++; /* counted even on failure so dfa_catalog_free releases it */
        if (st)
            return st;
    }
    for (size_t i = 0; i < c->n_metrics; i++) {
        if (c->metrics[i].kind == DFA_KIND__COUNT)
            return dfa_fail(err, DFA_ERR_CATALOG, "metric %s: no type feeds it", c->metrics[i].name);
        if (c->metrics[i].with && !dfa_catalog_metric(c, c->metrics[i].with))
            return dfa_fail(err, DFA_ERR_CATALOG, "metric %s.with: unknown metric \"%s\"", c->metrics[i].name,
                            DFA_TEXT_SHOWN(c->metrics[i].with, 52));
        dfa_status st = check_report_by(c, &c->metrics[i], err);
        if (st)
            return st;
    }
    return DFA_OK;
}

/* "report_sections": [{"title_vi": ..., "metrics": [...]}]: every metric in exactly one
 * (optional: without it, one section holds every metric). */
static dfa_status load_sections(dfa_catalog *c, json_t *arr, dfa_error *err)
{
    if (!arr) { /* no sections: one, every metric in catalog order */
        if (!(c->sections = calloc(1, sizeof *c->sections)) ||
            !(c->sections[0].metrics = calloc(c->n_metrics + 1, sizeof *c->sections[0].metrics)))
            return dfa_fail(err, DFA_ERR_NOMEM, "report_sections: out of memory");
        c->n_sections = 1;
        c->sections[0].title_vi = "Số liệu";
        for (size_t m = 0; m < c->n_metrics; m++)
            c->sections[0].metrics[c->sections[0].n_metrics++] = &c->metrics[m];
        return DFA_OK;
    }
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return dfa_fail(err, DFA_ERR_CATALOG, "report_sections: expected a non-empty array of {title_vi, metrics}");
    c->sections = calloc(json_array_size(arr), sizeof *c->sections);
    size_t *placed = calloc(c->n_metrics + 1, sizeof *placed);
    dfa_status st = c->sections && placed ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "report_sections: out of memory");
    static const char *const keys[] = {"title_vi", "metrics", NULL};
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (st)
            break;
        char where[48];
        snprintf(where, sizeof where, "report_sections[%zu]", i);
        dfa_report_section *sec = &c->sections[c->n_sections++];
        json_t *ms = json_object_get(v, "metrics");
        if (!json_is_object(v) || (st = only_keys(v, keys, where, err)) ||
            (st = get_string(v, "title_vi", true, &sec->title_vi, where, err)))
            break;
        if (!json_is_array(ms) || !(sec->metrics = calloc(json_array_size(ms) + 1, sizeof *sec->metrics))) {
            st = dfa_fail(err, DFA_ERR_CATALOG, "%s.metrics: expected an array of metric names", where);
            break;
        }
        size_t k;
        json_t *name;
        json_array_foreach(ms, k, name) {
            const dfa_metric *m = json_is_string(name) ? dfa_catalog_metric(c, json_string_value(name)) : NULL;
            if (!m) {
                st = dfa_fail(err, DFA_ERR_CATALOG, "%s.metrics[%zu]: not a metric of the catalog", where, k);
                break;
            }
            if (placed[m - c->metrics]++) {
                st = dfa_fail(err, DFA_ERR_CATALOG, "%s.metrics[%zu]: metric %s is in two sections", where, k, m->name);
                break;
            }
            sec->metrics[sec->n_metrics++] = m;
        }
    }
    for (size_t m = 0; st == DFA_OK && m < c->n_metrics; m++)
        if (!placed[m])
            st = dfa_fail(err, DFA_ERR_CATALOG, "report_sections: metric %s is in no section", c->metrics[m].name);
    free(placed);
    return st;
}

static dfa_status load_root(dfa_catalog *c, dfa_error *err)
{
    static const char *const keys[] = {"catalog_version", "reporters", "countries_vi", "report_sections", "metrics", "types", NULL};
    if (!json_is_object(c->root))
        return dfa_fail(err, DFA_ERR_CATALOG, "expected a JSON object at the top");
    int64_t version;
    dfa_status st;
    if ((st = only_keys(c->root, keys, "catalog", err)) ||
        (st = get_integer(c->root, "catalog_version", true, 0, &version, "catalog", err)))
        return st;
    if (version != 1)
        return dfa_fail(err, DFA_ERR_CATALOG, "catalog_version: this build reads version 1, got %lld",
                        (long long)version);
    c->countries_vi = json_object_get(c->root, "countries_vi");
    const char *code;
    json_t *name;
    if (c->countries_vi && !json_is_object(c->countries_vi))
        return dfa_fail(err, DFA_ERR_CATALOG, "countries_vi: expected an object (ISO code -> Vietnamese name)");
    json_object_foreach(c->countries_vi, code, name)
        if (!dfa_iso_is_country(code) || !json_is_string(name))
            return dfa_fail(err, DFA_ERR_CATALOG, "countries_vi.%s: expected an ISO 3166-1 code and a name",
                            DFA_TEXT_SHOWN(code, 44));
    if ((st = load_reporters(c, json_object_get(c->root, "reporters"), err)) ||
        (st = load_metrics(c, json_object_get(c->root, "metrics"), err)))
        return st;
    if ((st = load_types(c, json_object_get(c->root, "types"), err)))
        return st;
    return load_sections(c, json_object_get(c->root, "report_sections"), err);
}

dfa_status dfa_catalog_load(const char *path, dfa_catalog **out, dfa_error *err)
{
    dfa_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", path);
    json_error_t jerr;
    c->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    dfa_status st = c->root ? load_root(c, err)
                            : dfa_fail(err, DFA_ERR_CATALOG, "line %d column %d: %s", jerr.line, jerr.column,
                                       jerr.text);
    if (st != DFA_OK) {
        dfa_error_prefix(err, path);
        dfa_catalog_free(c);
        return st;
    }
    *out = c;
    return DFA_OK;
}

void dfa_catalog_free(dfa_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_types; i++) {
        dfa_event_type *t = &c->types[i];
        for (size_t j = 0; j < t->n_fields; j++)
            free(t->fields[j].values);
        for (size_t j = 0; j < t->n_feeds; j++)
            free(t->feeds[j].by);
        free(t->fields);
        free(t->feeds);
    }
    free(c->types);
    for (size_t i = 0; i < c->n_sections; i++)
        free(c->sections[i].metrics);
    free(c->sections);
    for (size_t i = 0; c->metrics && i < c->n_metrics; i++) {
        for (size_t k = 0; k < c->metrics[i].n_report_by; k++) {
            free(c->metrics[i].report_by[k].values);
            free(c->metrics[i].report_by[k].labels_vi);
        }
        free(c->metrics[i].report_by);
    }
    free(c->metrics);
    free(c->reporters);
    json_decref(c->root);
    free(c);
}

const dfa_event_type *dfa_catalog_type(const dfa_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->n_types; i++)
        if (strcmp(c->types[i].name, name) == 0)
            return &c->types[i];
    return NULL;
}

const dfa_metric *dfa_catalog_metric(const dfa_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->n_metrics; i++)
        if (strcmp(c->metrics[i].name, name) == 0)
            return &c->metrics[i];
    return NULL;
}

bool dfa_catalog_is_reporter(const dfa_catalog *c, const char *role)
{
    return index_of(c->reporters, c->n_reporters, role) >= 0;
}

const dfa_field_spec *dfa_event_type_field(const dfa_event_type *t, const char *name)
{
    for (size_t i = 0; i < t->n_fields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

size_t dfa_catalog_type_count(const dfa_catalog *c) { return c->n_types; }
const dfa_event_type *dfa_catalog_type_at(const dfa_catalog *c, size_t i) { return i < c->n_types ? &c->types[i] : NULL; }
size_t dfa_catalog_metric_count(const dfa_catalog *c) { return c->n_metrics; }
const dfa_metric *dfa_catalog_metric_at(const dfa_catalog *c, size_t i) { return i < c->n_metrics ? &c->metrics[i] : NULL; }

const char *dfa_catalog_country_vi(const dfa_catalog *c, const char *code)
{
    return json_string_value(json_object_get(c->countries_vi, code));
}

size_t dfa_catalog_section_count(const dfa_catalog *c) { return c->n_sections; }
const dfa_report_section *dfa_catalog_section_at(const dfa_catalog *c, size_t i)
{
    return i < c->n_sections ? &c->sections[i] : NULL;
}
