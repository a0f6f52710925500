#include "dfa_delta.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "dfa_keys.h"

/* Everything one event's deltas share, computed once. */
typedef struct {
    const dfa_event *ev;
    const char *code, *unit;
    const char *row, *metric, *dim; /* of the row being emitted */
    int sign;
    char buckets[DFA_STORED_BUCKETS][DFA_PERIOD_ID_MAX];
    dfa_delta_fn fn;
    void *ctx;
    dfa_error *err;
} emitter;

static dfa_status too_long(emitter *e, const char *what)
{
    return dfa_fail(e->err, DFA_ERR_LIMIT, "%s: key or field longer than %d bytes", what, DFA_KEY_MAX);
}

static dfa_status emit(emitter *e, dfa_delta_kind kind, const char *key, const char *field, int64_t amount, int bucket)
{
    dfa_delta d = {.key = key,
                   .field = field,
                   .amount = amount,
                   .kind = kind,
                   .province = e->code,
                   .bucket = bucket >= 0 ? e->buckets[bucket] : NULL,
                   .bucket_kind = bucket >= 0 ? dfa_stored_bucket_kinds[bucket] : DFA_PERIOD_DAY,
                   .row = e->row,
                   .metric = e->metric,
                   .dim = e->dim};
    return e->fn(e->ctx, &d, e->err);
}

/* One row in every stored bucket of the counters hash. */
static dfa_status emit_counter_row(emitter *e, const char *row, int64_t amount)
{
    char key[DFA_KEY_MAX];
    e->row = row;
    for (int b = 0; b < DFA_STORED_BUCKETS; b++) {
        if (!dfa_key_counters(key, sizeof key, e->code, e->buckets[b]))
            return too_long(e, row);
        dfa_status st = emit(e, DFA_DELTA_COUNTER, key, row, amount, b);
        if (st)
            return st;
    }
    return DFA_OK;
}

static dfa_status emit_distinct_row(emitter *e, const char *row, const char *id)
{
    char key[DFA_KEY_MAX];
    e->row = row;
    for (int b = 0; b < DFA_STORED_BUCKETS; b++) {
        if (!dfa_key_distinct(key, sizeof key, e->code, e->buckets[b], row))
            return too_long(e, row);
        dfa_status st = emit(e, DFA_DELTA_DISTINCT, key, id, e->sign, b);
        if (st)
            return st;
    }
    return DFA_OK;
}

/* A gauge report is kept as a point of a time series: the field names the
 * moment, the event and the value, and counts how many times it is present. */
static dfa_status emit_gauge_row(emitter *e, const char *row, int64_t value)
{
    char key[DFA_KEY_MAX], field[DFA_FIELD_MAX];
    const dfa_instant *at = dfa_event_time(e->ev);
    e->row = row;
    int n = snprintf(field, sizeof field, "%04d-%02d-%02dT%02d:%02d:%02d|%s|%lld", at->local.year, at->local.month,
                     at->local.day, at->local_seconds / 3600, at->local_seconds / 60 % 60, at->local_seconds % 60,
                     dfa_event_subject_id(e->ev), (long long)value);
    if (n < 0 || (size_t)n >= sizeof field || !dfa_key_gauge(key, sizeof key, e->code, row))
        return too_long(e, row);
    return emit(e, DFA_DELTA_GAUGE, key, field, e->sign, -1);
}

/* The string a breakdown value takes in a row. */
static const char *dim_value(const json_t *v) { return json_is_boolean(v) ? (json_is_true(v) ? "yes" : "no") : json_string_value(v); }

/* An estimated event also counts itself in "est|<row>" of every row it feeds,
 * so a report can say "ước" until the estimate is retracted (or confirmed:
 * retracted and sent again without estimate, docs/events.md). */
static dfa_status count_estimate(emitter *e, const char *row)
{
    char field[DFA_FIELD_MAX];
    if (!dfa_field_estimate(field, sizeof field, row))
        return too_long(e, row);
    return emit_counter_row(e, field, e->sign);
}

/* count_estimate: false for the second and later ids of one distinct event (an event is one
 * estimate of each row, however many ids it names). */
static dfa_status feed_row(emitter *e, const char *row, const dfa_feed *fd, int64_t amount, const char *id,
                           bool count_estimates)
{
    dfa_status st;
    switch (fd->metric->kind) {
    case DFA_KIND_DISTINCT: st = emit_distinct_row(e, row, id); break;
    case DFA_KIND_GAUGE: st = emit_gauge_row(e, row, amount); break;
    default: st = emit_counter_row(e, row, amount); break;
    }
    return st == DFA_OK && count_estimates && dfa_event_is_estimate(e->ev) ? count_estimate(e, row) : st;
}

/* The total row, then one row per value of each breakdown field. */
static dfa_status feed_rows(emitter *e, const dfa_feed *fd, int64_t amount, const char *currency, const char *id,
                            bool count_estimates)
{
    const json_t *data = dfa_event_data(e->ev);
    char row[DFA_FIELD_MAX];
    if (!dfa_row(row, sizeof row, fd->metric->name, NULL, NULL, currency, e->unit))
        return too_long(e, fd->metric->name);
    e->metric = fd->metric->name, e->dim = NULL;
    dfa_status st = feed_row(e, row, fd, amount, id, count_estimates);
    for (size_t i = 0; st == DFA_OK && i < fd->n_by; i++) {
        e->dim = fd->by[i]->name;
        const json_t *v = json_object_get(data, fd->by[i]->name);
        size_t n = json_is_array(v) ? json_array_size(v) : (v ? 1 : 0);
        for (size_t k = 0; st == DFA_OK && k < n; k++) {
            const json_t *item = json_is_array(v) ? json_array_get(v, k) : v;
            if (!dfa_row(row, sizeof row, fd->metric->name, fd->by[i]->name, dim_value(item), currency, e->unit))
                return too_long(e, fd->metric->name);
            st = feed_row(e, row, fd, amount, id, count_estimates);
        }
    }
    return st;
}

static dfa_status apply_feed(emitter *e, const dfa_feed *fd)
{
    const json_t *data = dfa_event_data(e->ev);
    if (fd->metric->kind == DFA_KIND_DISTINCT) {
        const json_t *ids = json_object_get(data, fd->id->name);
        size_t n = json_is_array(ids) ? json_array_size(ids) : (ids ? 1 : 0);
        dfa_status st = DFA_OK;
        for (size_t k = 0; st == DFA_OK && k < n; k++)
            st = feed_rows(e, fd, 0, NULL, json_string_value(json_is_array(ids) ? json_array_get(ids, k) : ids), k == 0);
        return st;
    }
    int64_t amount = 1;
    const char *currency = NULL;
    if (fd->value) {
        const json_t *v = json_object_get(data, fd->value->name);
        if (!v) /* an optional value not reported adds nothing */
            return DFA_OK;
        if (fd->value->type == DFA_FIELD_MONEY) {
            currency = json_string_value(json_object_get(v, "currency"));
            v = json_object_get(v, "amount");
        }
        amount = json_integer_value(v);
    }
    if (fd->metric->kind != DFA_KIND_GAUGE)
        amount *= (int64_t)e->sign * fd->sign;
    return feed_rows(e, fd, amount, currency, NULL, true);
}

/* plan.target.set adds the target to the period it names. */
static dfa_status apply_plan(emitter *e)
{
    const json_t *data = dfa_event_data(e->ev);
    const char *metric = json_string_value(json_object_get(data, "metric"));
    const json_t *amount = json_object_get(data, "amount"), *value = json_object_get(data, "value");
    const char *currency = amount ? json_string_value(json_object_get(amount, "currency")) : NULL;
    int64_t target = amount ? json_integer_value(json_object_get(amount, "amount")) : json_integer_value(value);
    char key[DFA_KEY_MAX], row[DFA_FIELD_MAX], field[DFA_FIELD_MAX];
    if (!dfa_key_targets(key, sizeof key, e->code, json_string_value(json_object_get(data, "period"))) ||
        !dfa_row(row, sizeof row, metric, NULL, NULL, currency, e->unit) ||
        snprintf(field, sizeof field, "plan|%s", row) >= (int)sizeof field)
        return too_long(e, metric);
    e->row = row, e->metric = metric, e->dim = NULL;
    return emit(e, DFA_DELTA_TARGET, key, field, target * e->sign, -1);
}

/* report.nil_declared records an explicit "none" per metric for the period. */
static dfa_status apply_nil(emitter *e)
{
    const json_t *data = dfa_event_data(e->ev), *metrics = json_object_get(data, "metrics");
    char key[DFA_KEY_MAX], row[DFA_FIELD_MAX], field[DFA_FIELD_MAX];
    if (!dfa_key_targets(key, sizeof key, e->code, json_string_value(json_object_get(data, "period"))))
        return too_long(e, "period");
    for (size_t i = 0; i < json_array_size(metrics); i++) {
        const char *metric = json_string_value(json_array_get(metrics, i));
        if (!dfa_row(row, sizeof row, metric, NULL, NULL, NULL, e->unit) ||
            snprintf(field, sizeof field, "nil|%s", row) >= (int)sizeof field)
            return too_long(e, metric);
        e->row = row, e->metric = metric, e->dim = NULL;
        dfa_status st = emit(e, DFA_DELTA_TARGET, key, field, e->sign, -1);
        if (st)
            return st;
    }
    return DFA_OK;
}

dfa_status dfa_event_deltas(const dfa_event *ev, dfa_delta_fn fn, void *ctx, dfa_error *err)
{
    emitter e = {.ev = ev,
                 .code = dfa_event_current_unit(ev)->code,
                 .unit = dfa_event_original_unit(ev)->unit_id,
                 .sign = dfa_event_is_retraction(ev) ? -1 : 1,
                 .fn = fn,
                 .ctx = ctx,
                 .err = err};
    for (int b = 0; b < DFA_STORED_BUCKETS; b++)
        dfa_period_id(dfa_stored_bucket_kinds[b], dfa_event_time(ev)->local, e.buckets[b]);

    char row[DFA_FIELD_MAX];
    dfa_row(row, sizeof row, DFA_ROW_EVENTS, NULL, NULL, NULL, e.unit);
    e.metric = DFA_ROW_EVENTS;
    dfa_status st = emit_counter_row(&e, row, e.sign);
    const dfa_event_type *t = dfa_event_type_of(ev);
    if (st == DFA_OK && t->handler == DFA_HANDLER_PLAN)
        st = apply_plan(&e);
    if (st == DFA_OK && t->handler == DFA_HANDLER_NIL)
        st = apply_nil(&e);
    for (size_t i = 0; st == DFA_OK && i < t->n_feeds; i++)
        st = apply_feed(&e, &t->feeds[i]);
    return st;
}

typedef struct {
    dfa_accum *acc;
    int sign;
} accumulation;

static dfa_status put_delta(void *ctx, const dfa_delta *d, dfa_error *err)
{
    const accumulation *a = ctx;
    return dfa_accum_put(a->acc, d->key, d->field, a->sign * d->amount, err);
}

dfa_status dfa_delta_group(dfa_accum *acc, const dfa_event *ev, dfa_delta_fn fn, void *ctx, dfa_error *err)
{
    dfa_accum_begin(acc);
    dfa_status st = dfa_event_deltas(ev, fn, ctx, err);
    if (st == DFA_OK)
        dfa_accum_commit(acc);
    else
        dfa_accum_rollback(acc);
    return st;
}

dfa_status dfa_delta_accumulate(dfa_accum *acc, const dfa_event *ev, int sign, dfa_error *err)
{
    accumulation a = {acc, sign};
    return dfa_delta_group(acc, ev, put_delta, &a, err);
}
