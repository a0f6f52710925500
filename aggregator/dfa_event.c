#include "dfa_event.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_iso.h"
#include "dfa_text.h"

struct dfa_event {
    json_t *root; /* the strings below point into it */
    const dfa_event_type *type;
    const char *id, *ref, *reporter;
    dfa_instant at;
    const dfa_unit *current, *original;
    bool retract, estimate;
    json_t *data;
};

#define PATH_MAX_LEN 96

/* Room for the input a message shows of a name or a value: 40 and 32 bytes
 * of its escaped rendering, then "..." (dfa_text_escape). */
#define SHOWN_KEY 44
#define SHOWN_VALUE 36

/* A short rendering of a JSON value for error messages, escaped: the message
 * may be printed on a line of its own or travel as JSON (the dead-letter
 * reason). Writes into buf (cap bytes, at least SHOWN_VALUE + 2) or returns a
 * constant. */
static const char *describe(const json_t *v, char *buf, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        char shown[SHOWN_VALUE];
        snprintf(buf, cap, "\"%s\"", dfa_text_escape(json_string_value(v), json_string_length(v), shown, sizeof shown));
        return buf;
    }
    case JSON_INTEGER:
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    case JSON_REAL:
        snprintf(buf, cap, "%g", json_real_value(v));
        return buf;
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_ARRAY: return "an array";
    default: return "an object";
    }
}

static dfa_status bad(dfa_error *err, const char *path, const char *expected, const json_t *got)
{
    char buf[64];
    return dfa_fail(err, DFA_ERR_SCHEMA, "%s: expected %s, got %s", path, expected, describe(got, buf, sizeof buf));
}

static dfa_status check_country(const json_t *v, const char *path, dfa_error *err)
{
    if (!json_is_string(v) || !dfa_iso_is_country(json_string_value(v)))
        return bad(err, path, "an ISO 3166-1 alpha-2 country code such as \"JP\"", v);
    return DFA_OK;
}

static dfa_status check_integer(const dfa_field_spec *f, const json_t *v, const char *path, dfa_error *err)
{
    if (json_is_integer(v) && json_integer_value(v) >= f->min && json_integer_value(v) <= f->max)
        return DFA_OK;
    char expected[64]; /* messages are built only on failure: validation is on every event's path */
    snprintf(expected, sizeof expected, "integer %lld..%lld", (long long)f->min, (long long)f->max);
    return bad(err, path, expected, v);
}

static dfa_status check_money(const dfa_field_spec *f, const json_t *v, const char *path, dfa_error *err)
{
    char sub[PATH_MAX_LEN + 16], expected[64], shown[SHOWN_VALUE];
    if (!json_is_object(v))
        return bad(err, path, "{\"amount\": minor units, \"currency\": ISO 4217}", v);
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        if (strcmp(key, "amount") != 0 && strcmp(key, "currency") != 0)
            return dfa_fail(err, DFA_ERR_SCHEMA, "%s.%s: unknown field (money has amount and currency)", path,
                            dfa_text_escape(key, strlen(key), shown, sizeof shown));
    }
    json_t *amount = json_object_get(v, "amount"), *currency = json_object_get(v, "currency");
    if (!amount || !json_is_integer(amount) || json_integer_value(amount) < 0 || json_integer_value(amount) > f->max) {
        snprintf(sub, sizeof sub, "%s.amount", path);
        if (!amount)
            return dfa_fail(err, DFA_ERR_SCHEMA, "%s: required", sub);
        snprintf(expected, sizeof expected, "integer minor units 0..%lld", (long long)f->max);
        return bad(err, sub, expected, amount);
    }
    if (!currency || !json_is_string(currency) || !dfa_iso_is_currency(json_string_value(currency))) {
        snprintf(sub, sizeof sub, "%s.currency", path);
        if (!currency)
            return dfa_fail(err, DFA_ERR_SCHEMA, "%s: required", sub);
        return bad(err, sub, "an ISO 4217 currency code such as \"VND\"", currency);
    }
    return DFA_OK;
}

/* Checks a list of distinct strings, each checked by one_ok. */
static dfa_status check_list(const dfa_field_spec *f, const json_t *v, const char *path, const char *what,
                             dfa_status (*one_ok)(const dfa_catalog *, const json_t *, const char *, dfa_error *),
                             const dfa_catalog *cat, dfa_error *err)
{
    char expected[96], sub[PATH_MAX_LEN + 16], shown[64];
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > f->max_len) {
        snprintf(expected, sizeof expected, "an array of 1..%zu %s", f->max_len, what);
        return bad(err, path, expected, v);
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *item = json_array_get(v, i);
        bool repeats = false;
        for (size_t j = 0; j < i && !repeats; j++)
            repeats = json_equal(item, json_array_get(v, j));
        if (one_ok(cat, item, path, NULL) == DFA_OK && !repeats)
            continue;
        snprintf(sub, sizeof sub, "%s[%zu]", path, i); /* the item's own path, for the message only */
        dfa_status st = one_ok(cat, item, sub, err);
        if (st)
            return st;
        for (size_t j = 0; j < i; j++)
            if (json_equal(item, json_array_get(v, j)))
                return dfa_fail(err, DFA_ERR_SCHEMA, "%s: %s repeats %s[%zu]", sub,
                                describe(item, shown, sizeof shown), path, j);
    }
    return DFA_OK;
}

static dfa_status country_item(const dfa_catalog *cat, const json_t *v, const char *path, dfa_error *err)
{
    (void)cat;
    return check_country(v, path, err);
}

static dfa_status metric_item(const dfa_catalog *cat, const json_t *v, const char *path, dfa_error *err)
{
    if (!json_is_string(v) || !dfa_text_is_name(json_string_value(v), 64) ||
        !dfa_catalog_metric(cat, json_string_value(v)))
        return bad(err, path, "the name of a catalog metric", v);
    return DFA_OK;
}

static dfa_status check_enum(const dfa_field_spec *f, const json_t *v, const char *path, dfa_error *err)
{
    if (json_is_string(v))
        for (size_t i = 0; i < f->n_values; i++)
            if (strcmp(f->values[i], json_string_value(v)) == 0)
                return DFA_OK;
    char expected[200];
    size_t used = (size_t)snprintf(expected, sizeof expected, "one of ");
    for (size_t i = 0; i < f->n_values && used < sizeof expected; i++)
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s", i ? "|" : "", f->values[i]);
    return bad(err, path, expected, v);
}

/* A plan's period: a well-formed id that holds days events can have. */
static dfa_status check_period(const json_t *v, const char *path, dfa_error *err)
{
    dfa_date first, last;
    bool text = json_is_string(v) && json_string_length(v) <= DFA_PERIOD_ID_MAX;
    if (text && dfa_period_parse(json_string_value(v), &first, &last, NULL) == DFA_OK)
        return DFA_OK;
    if (text && dfa_period_is_well_formed(json_string_value(v))) {
        char expected[64];
        snprintf(expected, sizeof expected, "a period within %d..%d", DFA_YEAR_MIN, DFA_YEAR_MAX);
        return bad(err, path, expected, v);
    }
    return bad(err, path, "a period id such as Y2025, H2025-1, Q2025-3, N2025, M2025-07 or AY2025", v);
}

static dfa_status check_field(const dfa_catalog *cat, const dfa_field_spec *f, const json_t *v,
                              const char *path, dfa_error *err)
{
    char expected[64];
    dfa_date d;
    switch (f->type) {
    case DFA_FIELD_INTEGER:
        return check_integer(f, v, path, err);
    case DFA_FIELD_TEXT:
        if (json_is_string(v) && json_string_length(v) <= f->max_len && strlen(json_string_value(v)) == json_string_length(v))
            return DFA_OK;
        snprintf(expected, sizeof expected, "text of at most %zu bytes", f->max_len);
        return bad(err, path, expected, v);
    case DFA_FIELD_ID:
        return json_is_string(v) && dfa_text_is_id(json_string_value(v), DFA_EVENT_ID_MAX)
                   ? DFA_OK
                   : bad(err, path, "an id of 1..64 characters [A-Za-z0-9._:-]", v);
    case DFA_FIELD_ENUM:
        return check_enum(f, v, path, err);
    case DFA_FIELD_BOOLEAN:
        return json_is_boolean(v) ? DFA_OK : bad(err, path, "true or false", v);
    case DFA_FIELD_COUNTRY:
        return check_country(v, path, err);
    case DFA_FIELD_COUNTRY_LIST:
        return check_list(f, v, path, "distinct ISO 3166-1 alpha-2 codes", country_item, cat, err);
    case DFA_FIELD_MONEY:
        return check_money(f, v, path, err);
    case DFA_FIELD_DATE:
        return json_is_string(v) && dfa_date_parse(json_string_value(v), &d) ? DFA_OK
                                                                           : bad(err, path, "a date YYYY-MM-DD", v);
    case DFA_FIELD_PERIOD:
        return check_period(v, path, err);
    case DFA_FIELD_METRIC:
        return metric_item(cat, v, path, err);
    case DFA_FIELD_METRIC_LIST:
        return check_list(f, v, path, "distinct catalog metric names", metric_item, cat, err);
    default:
        return dfa_fail(err, DFA_ERR_SCHEMA, "%s: field type not supported", path);
    }
}

/* A plan target is a count (value) or money (amount), as its metric is. */
static dfa_status check_plan(const dfa_catalog *cat, json_t *data, dfa_error *err)
{
    const dfa_metric *m = dfa_catalog_metric(cat, json_string_value(json_object_get(data, "metric")));
    const char *need = m->money ? "amount" : "value", *other = m->money ? "value" : "amount";
    if (!json_object_get(data, need))
        return dfa_fail(err, DFA_ERR_SCHEMA, "data.%s: required for a target of %s metric %s", need,
                        m->money ? "money" : "count", m->name);
    if (json_object_get(data, other))
        return dfa_fail(err, DFA_ERR_SCHEMA, "data.%s: not allowed for a target of %s metric %s", other,
                        m->money ? "money" : "count", m->name);
    return DFA_OK;
}

static dfa_status check_data(const dfa_catalog *cat, const dfa_event_type *t, json_t *data, dfa_error *err)
{
    if (!json_is_object(data))
        return bad(err, "data", "an object", data);
    char path[PATH_MAX_LEN];
    const char *key;
    json_t *v;
    json_object_foreach(data, key, v) {
        const dfa_field_spec *f = dfa_event_type_field(t, key);
        if (!f) {
            char shown[SHOWN_KEY];
            return dfa_fail(err, DFA_ERR_SCHEMA, "data.%s: unknown field for type %s",
                            dfa_text_escape(key, strlen(key), shown, sizeof shown), t->name);
        }
        if (check_field(cat, f, v, "data", NULL) == DFA_OK)
            continue;
        snprintf(path, sizeof path, "data.%s", key); /* for the message only */
        return check_field(cat, f, v, path, err);
    }
    for (size_t i = 0; i < t->n_fields; i++)
        if (t->fields[i].required && !json_object_get(data, t->fields[i].name))
            return dfa_fail(err, DFA_ERR_SCHEMA, "data.%s: required for type %s", t->fields[i].name, t->name);
    return t->handler == DFA_HANDLER_PLAN ? check_plan(cat, data, err) : DFA_OK;
}

static dfa_status get_str(json_t *root, const char *key, bool required, const char **out, dfa_error *err)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v)
        return required ? dfa_fail(err, DFA_ERR_SCHEMA, "%s: required", key) : DFA_OK;
    if (!json_is_string(v))
        return bad(err, key, "a string", v);
    *out = json_string_value(v);
    return DFA_OK;
}

static dfa_status check_envelope_keys(json_t *root, dfa_error *err)
{
    static const char *const allowed[] = {"event_id", "type", "occurred_at", "province", "reporter", "op",
                                          "ref", "estimate", "schema_version", "data", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            char shown[SHOWN_KEY];
            return dfa_fail(err, DFA_ERR_SCHEMA, "%s: unknown envelope field",
                            dfa_text_escape(key, strlen(key), shown, sizeof shown));
        }
    }
    json_t *sv = json_object_get(root, "schema_version");
    if (!sv)
        return dfa_fail(err, DFA_ERR_SCHEMA, "schema_version: required");
    if (!json_is_integer(sv) || json_integer_value(sv) != DFA_SCHEMA_VERSION)
        return bad(err, "schema_version", "1", sv);
    return DFA_OK;
}

static dfa_status check_op(dfa_event *ev, dfa_error *err)
{
    const char *op;
    dfa_status st = get_str(ev->root, "op", false, &op, err);
    if (st)
        return st;
    if (op && strcmp(op, "add") != 0 && strcmp(op, "retract") != 0)
        return bad(err, "op", "\"add\" or \"retract\"", json_object_get(ev->root, "op"));
    ev->retract = op && op[0] == 'r';
    if ((st = get_str(ev->root, "ref", false, &ev->ref, err)))
        return st;
    if (ev->retract && !ev->ref)
        return dfa_fail(err, DFA_ERR_SCHEMA, "ref: required when op is retract (the event_id it cancels)");
    if (!ev->retract && ev->ref)
        return dfa_fail(err, DFA_ERR_SCHEMA, "ref: only allowed when op is retract");
    if (ev->ref && !dfa_text_is_id(ev->ref, DFA_EVENT_ID_MAX))
        return bad(err, "ref", "an id of 1..64 characters [A-Za-z0-9._:-]", json_object_get(ev->root, "ref"));
    if (ev->ref && strcmp(ev->ref, ev->id) == 0)
        return dfa_fail(err, DFA_ERR_SCHEMA, "ref: an event cannot retract itself");
    json_t *est = json_object_get(ev->root, "estimate");
    if (est && !json_is_boolean(est))
        return bad(err, "estimate", "true or false", est);
    ev->estimate = json_is_true(est);
    return DFA_OK;
}

static dfa_status validate(const dfa_core *core, dfa_event *ev, dfa_error *err)
{
    const dfa_catalog *cat = dfa_core_catalog(core);
    const char *type, *when, *province;
    dfa_status st;
    if (!json_is_object(ev->root))
        return dfa_fail(err, DFA_ERR_JSON, "event: expected a JSON object");
    if ((st = check_envelope_keys(ev->root, err)) || (st = get_str(ev->root, "event_id", true, &ev->id, err)))
        return st;
    if (!dfa_text_is_id(ev->id, DFA_EVENT_ID_MAX))
        return bad(err, "event_id", "an id of 1..64 characters [A-Za-z0-9._:-]", json_object_get(ev->root, "event_id"));
    if ((st = get_str(ev->root, "type", true, &type, err)))
        return st;
    if (!(ev->type = dfa_catalog_type(cat, type))) {
        char buf[64];
        return dfa_fail(err, DFA_ERR_UNKNOWN_TYPE, "type: unknown event type %s",
                        describe(json_object_get(ev->root, "type"), buf, sizeof buf));
    }
    if ((st = get_str(ev->root, "occurred_at", true, &when, err)) ||
        (st = dfa_instant_parse(when, &ev->at, err)) ||
        (st = get_str(ev->root, "province", true, &province, err)) ||
        (st = dfa_provinces_resolve(dfa_core_provinces(core), province, ev->at.local, &ev->current,
                                    &ev->original, err)) ||
        (st = get_str(ev->root, "reporter", true, &ev->reporter, err)))
        return st;
    if (!dfa_catalog_is_reporter(cat, ev->reporter))
        return bad(err, "reporter", "a reporter role of the catalog such as \"dept_foreign_affairs\"",
                   json_object_get(ev->root, "reporter"));
    if ((st = check_op(ev, err)))
        return st;
    ev->data = json_object_get(ev->root, "data");
    if (!ev->data)
        return dfa_fail(err, DFA_ERR_SCHEMA, "data: required (an object, {} when the type has no fields)");
    return check_data(cat, ev->type, ev->data, err);
}

/* jansson's message ends with the input near the error ("... near 'x'"),
 * raw: that part is escaped like every other echo of input. The rest is
 * jansson's own words. */
static dfa_status json_syntax(dfa_error *err, const json_error_t *jerr)
{
    static const char near[] = " near '";
    const char *at = strstr(jerr->text, near);
    if (!at)
        return dfa_fail(err, DFA_ERR_JSON, "json: column %d: %s", jerr->column, jerr->text);
    const char *token = at + strlen(near);
    size_t len = strlen(token);
    if (len > 0 && token[len - 1] == '\'')
        len--;
    char shown[SHOWN_KEY];
    return dfa_fail(err, DFA_ERR_JSON, "json: column %d: %.*s near '%s'", jerr->column, (int)(at - jerr->text),
                    jerr->text, dfa_text_escape(token, len, shown, sizeof shown));
}

dfa_status dfa_event_parse(const dfa_core *core, const char *buf, size_t len, dfa_event **out, dfa_error *err)
{
    if (len > DFA_EVENT_MAX_BYTES)
        return dfa_fail(err, DFA_ERR_LIMIT, "event: %zu bytes, more than the limit of %d", len,
                        DFA_EVENT_MAX_BYTES);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return json_syntax(err, &jerr);
    dfa_event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        json_decref(root);
        return dfa_fail(err, DFA_ERR_NOMEM, "event: out of memory");
    }
    ev->root = root;
    dfa_status st = validate(core, ev, err);
    if (st != DFA_OK) {
        dfa_event_free(ev);
        return st;
    }
    *out = ev;
    return DFA_OK;
}

void dfa_event_free(dfa_event *ev)
{
    if (!ev)
        return;
    json_decref(ev->root);
    free(ev);
}

const char *dfa_event_id(const dfa_event *ev) { return ev->id; }
const char *dfa_event_subject_id(const dfa_event *ev) { return ev->retract ? ev->ref : ev->id; }
const dfa_event_type *dfa_event_type_of(const dfa_event *ev) { return ev->type; }
bool dfa_event_is_retraction(const dfa_event *ev) { return ev->retract; }
const char *dfa_event_reporter(const dfa_event *ev) { return ev->reporter; }
bool dfa_event_is_estimate(const dfa_event *ev) { return ev->estimate; }
const dfa_instant *dfa_event_time(const dfa_event *ev) { return &ev->at; }
const dfa_unit *dfa_event_current_unit(const dfa_event *ev) { return ev->current; }
const dfa_unit *dfa_event_original_unit(const dfa_event *ev) { return ev->original; }
const struct json_t *dfa_event_data(const dfa_event *ev) { return ev->data; }

/* SHA-256 over the bytes jansson writes, without building the string: a
 * retraction's copy is matched by this digest, so it must resist a sender
 * who crafts a copy with other data and the same fingerprint. */
static int hash_bytes(const char *buf, size_t size, void *data)
{
    crypto_hash_sha256_update(data, (const unsigned char *)buf, size);
    return 0;
}

/* Appends s to *p (within end); false when it does not fit. */
static bool put_text(char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) < n)
        return false;
    memcpy(*p, s, n);
    *p += n;
    return true;
}

void dfa_event_fingerprint(const dfa_event *ev, char out[17])
{
    /* "<type>|<unit>|<utc seconds>|", "est|" for an estimate (it counts in est| fields, so a
     * retraction's copy must say so too), then the data as JSON: the bytes hashed are fixed
     * (stored fingerprints of events that are not estimates still match), built without printf */
    char head[160], digits[24], *p = head;
    const char *end = head + sizeof head;
    digits[dfa_text_decimal(digits, (int64_t)ev->at.utc_seconds)] = '\0';
    bool fits = put_text(&p, end, ev->type->name) && put_text(&p, end, "|") && put_text(&p, end, ev->original->unit_id) &&
                put_text(&p, end, "|") && put_text(&p, end, digits) && put_text(&p, end, "|") &&
                (!ev->estimate || put_text(&p, end, "est|")); /* a retraction of an estimate is marked too */
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    hash_bytes(head, fits ? (size_t)(p - head) : 0, &st);
    json_dump_callback(ev->data, hash_bytes, &st, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) { /* the first 64 bits: a second preimage still costs 2^64 */
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[16] = '\0';
}
