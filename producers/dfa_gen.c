#include "dfa_gen.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_event.h"
#include "dfa_period.h"

/* A lifecycle: a stock's opening event and the closing event that may follow it
 * for the same thing (same id, same province, on or after the day it opened),
 * with the fields the closing event repeats. */
typedef struct {
    const char *opener, *closer, *id_field;
    const char *copied[3];
} lifecycle;

static const lifecycle lifecycles[] = {
    {"agreement.signed", "agreement.expired", "agreement_id", {"partner_country", "partner_type", NULL}},
    {"ngo.registered", "ngo.registration.ended", "ngo_id", {NULL}},
    {"fdi.project.licensed", "fdi.project.terminated", "project_id", {"country", "sector", "capital"}},
    {"citizen_protection.case.opened", "citizen_protection.case.closed", "case_id", {"case_type", "country", NULL}},
};
#define N_LIFECYCLES (sizeof lifecycles / sizeof lifecycles[0])
/* The openers followed: the latest TRACKED (more than loadgen's ring of recent lines, so every
 * opener it may retract is known); closing events draw on the latest CLOSABLE of them, so that a
 * long run stays linear (an older thing stays open). */
#define TRACKED 16384
#define CLOSABLE 2048

/* One opened thing: what its closing event needs. */
typedef struct {
    size_t lifecycle;
    int64_t opened_day;
    char event_id[DFA_EVENT_ID_MAX + 1], province[64];
    json_t *data; /* the opener's data (owned) */
    bool closed, retracted;
} tracked;

struct dfa_gen {
    const dfa_core *core;
    dfa_gen_options opt;
    uint64_t state;
    tracked *items;  /* a ring of TRACKED, allocated at the first opener */
    size_t n_items;  /* openers seen; the latest min(n_items, TRACKED) are in items */
    uint64_t serial; /* makes each opened thing's id unique */
};

static const char *const partner_countries[] = {"JP", "KR", "CN", "US", "FR", "DE", "LA", "KH", "TH", "AU",
                                               "SG", "IN", "RU", "GB", "CA", "NZ", "MY", "ID", "PH", "IT"};
static const char *const currencies[] = {"VND", "VND", "VND", "USD", "USD", "EUR", "LAK", "JPY", "KRW"};
static const char *const reporters_used[] = {"dept_foreign_affairs", "dept_tourism", "peoples_committee_office",
                                            "friendship_union", "border_guard", "police"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: tiny, fast, and the same sequence on every machine. */
static uint64_t next_random(dfa_gen *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t dfa_gen_below(dfa_gen *g, uint64_t n) { return n ? next_random(g) % n : 0; }

dfa_gen *dfa_gen_new(const dfa_core *core, const dfa_gen_options *opt)
{
    dfa_gen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->core = core;
    g->opt = *opt;
    g->state = opt->seed;
    return g;
}

void dfa_gen_free(dfa_gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; g->items && i < TRACKED; i++)
        json_decref(g->items[i].data);
    free(g->items);
    free(g);
}

static int lifecycle_of(const char *type, bool closer)
{
    for (size_t i = 0; i < N_LIFECYCLES; i++)
        if (strcmp(closer ? lifecycles[i].closer : lifecycles[i].opener, type) == 0)
            return (int)i;
    return -1;
}

static bool can_close(const tracked *it, size_t l, int64_t day)
{
    return it->lifecycle == l && !it->closed && !it->retracted && it->opened_day <= day;
}

/* The k-th latest opener (0: the last one). */
static tracked *latest(dfa_gen *g, size_t k) { return &g->items[(g->n_items - 1 - k) % TRACKED]; }

/* An open thing of lifecycle l opened on or before day, among the latest, or NULL. */
static tracked *open_item(dfa_gen *g, size_t l, int64_t day)
{
    size_t window = g->n_items < CLOSABLE ? g->n_items : CLOSABLE, n = 0;
    for (size_t k = 0; k < window; k++)
        n += can_close(latest(g, k), l, day);
    if (!n)
        return NULL;
    size_t pick = dfa_gen_below(g, n);
    for (size_t k = 0; k < window; k++)
        if (can_close(latest(g, k), l, day) && pick-- == 0)
            return latest(g, k);
    return NULL;
}

bool dfa_gen_may_retract(dfa_gen *g, const char *event_json)
{
    json_t *ev = json_loads(event_json, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type")), *id = json_string_value(json_object_get(ev, "event_id"));
    bool ok = true;
    size_t window = g->n_items < TRACKED ? g->n_items : TRACKED;
    for (size_t k = 0; type && id && lifecycle_of(type, false) >= 0 && k < window; k++) {
        tracked *it = latest(g, k);
        if (strcmp(it->event_id, id) == 0) {
            ok = !it->closed; /* a closed thing's opener stays: its stock would go below zero */
            it->retracted |= ok;
            break;
        }
    }
    json_decref(ev);
    return ok;
}

static int64_t between(dfa_gen *g, int64_t lo, int64_t hi) { return lo + (int64_t)dfa_gen_below(g, (uint64_t)(hi - lo + 1)); }

/* Realistic magnitudes: most counts are small even where the bound is large. */
static int64_t realistic_integer(dfa_gen *g, const dfa_field_spec *f)
{
    int64_t span = dfa_gen_below(g, 10) < 9 ? 60 : 2000;
    return between(g, f->min, f->max - f->min > span ? f->min + span : f->max);
}

static json_t *money(dfa_gen *g)
{
    const char *cur = currencies[dfa_gen_below(g, COUNT(currencies))];
    int64_t amount = strcmp(cur, "VND") == 0 ? between(g, 1, 5000) * 1000000 : between(g, 100, 500000) * 100;
    return json_pack("{s:I,s:s}", "amount", (json_int_t)amount, "currency", cur);
}

static json_t *country_list(dfa_gen *g, size_t max_items)
{
    json_t *a = json_array();
    size_t n = 1 + dfa_gen_below(g, max_items < 3 ? max_items : 3);
    size_t start = dfa_gen_below(g, COUNT(partner_countries));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(partner_countries[(start + i * 7) % COUNT(partner_countries)]));
    return a;
}

static const dfa_metric *random_metric(dfa_gen *g)
{
    const dfa_catalog *c = dfa_core_catalog(g->core);
    return dfa_catalog_metric_at(c, dfa_gen_below(g, dfa_catalog_metric_count(c)));
}

static json_t *field_value(dfa_gen *g, const dfa_field_spec *f, int year)
{
    char buf[32];
    json_t *a;
    switch (f->type) {
    case DFA_FIELD_INTEGER: return json_integer(realistic_integer(g, f));
    case DFA_FIELD_TEXT: return json_string("ghi chú");
    case DFA_FIELD_ID:
        snprintf(buf, sizeof buf, "%s-%u", f->name, (unsigned)dfa_gen_below(g, 40));
        return json_string(buf);
    case DFA_FIELD_ENUM: return json_string(f->values[dfa_gen_below(g, f->n_values)]);
    case DFA_FIELD_BOOLEAN: return json_boolean(dfa_gen_below(g, 2));
    case DFA_FIELD_COUNTRY: return json_string(partner_countries[dfa_gen_below(g, COUNT(partner_countries))]);
    case DFA_FIELD_COUNTRY_LIST: return country_list(g, f->max_len);
    case DFA_FIELD_MONEY: return money(g);
    case DFA_FIELD_DATE:
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, (int)between(g, 1, 12), (int)between(g, 1, 28));
        return json_string(buf);
    case DFA_FIELD_PERIOD:
        snprintf(buf, sizeof buf, dfa_gen_below(g, 2) ? "Y%04d" : "H%04d-1", year);
        return json_string(buf);
    case DFA_FIELD_METRIC: return json_string(random_metric(g)->name);
    case DFA_FIELD_METRIC_LIST:
        a = json_array();
        json_array_append_new(a, json_string(random_metric(g)->name));
        return a;
    default: return json_null();
    }
}

static json_t *event_data(dfa_gen *g, const dfa_event_type *t, int year)
{
    json_t *data = json_object();
    for (size_t i = 0; i < t->n_fields; i++) {
        const dfa_field_spec *f = &t->fields[i];
        if (t->handler == DFA_HANDLER_PLAN && (strcmp(f->name, "value") == 0 || strcmp(f->name, "amount") == 0))
            continue;
        if (f->required || dfa_gen_below(g, 10) < 7)
            json_object_set_new(data, f->name, field_value(g, f, year));
    }
    if (t->handler == DFA_HANDLER_PLAN) {
        const dfa_metric *m = dfa_catalog_metric(dfa_core_catalog(g->core), json_string_value(json_object_get(data, "metric")));
        if (m->money)
            json_object_set_new(data, "amount", money(g));
        else
            json_object_set_new(data, "value", json_integer(between(g, 1, 200)));
    }
    return data;
}

/* The province as a department would write it: today's code, or for dates
 * before the merger, often the old unit's code or name. */
static const char *province_text(dfa_gen *g, dfa_date on, char *buf, size_t cap)
{
    const dfa_provinces *p = dfa_core_provinces(g->core);
    const dfa_unit *u = dfa_provinces_current(p, dfa_gen_below(g, dfa_provinces_current_count(p)));
    if (dfa_gen_below(g, 100) >= (uint64_t)g->opt.share_old_names)
        return u->code;
    const dfa_unit *in_force[16];
    size_t n = 0;
    for (size_t i = 0; i < dfa_provinces_count(p) && n < COUNT(in_force); i++) {
        const dfa_unit *r = dfa_provinces_row(p, i);
        if (r->current == u && (!r->has_from || dfa_date_cmp(r->valid_from, on) <= 0) &&
            (!r->has_to || dfa_date_cmp(on, r->valid_to) <= 0))
            in_force[n++] = r;
    }
    const dfa_unit *r = n ? in_force[dfa_gen_below(g, n)] : u;
    switch (dfa_gen_below(g, 3)) {
    case 0: snprintf(buf, cap, "%s", r->code); break;
    case 1: snprintf(buf, cap, "%s", r->name); break;
    default: snprintf(buf, cap, "%s", r->name_ascii); break;
    }
    return buf;
}

/* Writes ev compactly into out and releases it; 0 if it does not fit. */
static size_t dump_into(json_t *ev, char *out, size_t cap)
{
    size_t n = json_dumpb(ev, out, cap, JSON_COMPACT);
    json_decref(ev);
    if (n >= cap)
        return 0;
    out[n] = '\0';
    return n;
}

size_t dfa_gen_event(dfa_gen *g, const char *event_id, char *out, size_t cap)
{
    int64_t first = dfa_date_to_days((dfa_date){g->opt.year_from, 1, 1});
    int64_t last = dfa_date_to_days((dfa_date){g->opt.year_to, 12, 31});
    return dfa_gen_event_on(g, event_id, dfa_date_from_days(between(g, first, last)), out, cap);
}

size_t dfa_gen_event_on(dfa_gen *g, const char *event_id, dfa_date day, char *out, size_t cap)
{
    const dfa_catalog *c = dfa_core_catalog(g->core);
    const dfa_event_type *t = dfa_catalog_type_at(c, dfa_gen_below(g, dfa_catalog_type_count(c)));
    int64_t today = dfa_date_to_days(day);
    tracked *closing = NULL;
    int l = lifecycle_of(t->name, true);
    if (l >= 0 && !(closing = open_item(g, (size_t)l, today)))
        t = dfa_catalog_type(c, lifecycles[l].opener); /* nothing to close yet: something opens instead */
    int opening = closing ? -1 : lifecycle_of(t->name, false);
    int secs = (int)dfa_gen_below(g, 86400);
    if (closing)
        secs = 86399; /* the end of its day: never before it opened */
    char when[40], pbuf[64];
    /* half the events say +07:00, half the same moment in UTC */
    if (dfa_gen_below(g, 2)) {
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", day.year, day.month, day.day, secs / 3600,
                 secs / 60 % 60, secs % 60);
    } else {
        int64_t utc = dfa_date_to_days(day) * 86400 + secs - DFA_UTC_OFFSET_SECONDS;
        dfa_date u = dfa_date_from_days(utc >= 0 ? utc / 86400 : (utc - 86399) / 86400);
        int us = (int)(utc - dfa_date_to_days(u) * 86400);
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month, u.day, us / 3600, us / 60 % 60,
                 us % 60);
    }
    json_t *data = event_data(g, t, day.year);
    const char *province = closing ? closing->province : province_text(g, day, pbuf, sizeof pbuf);
    if (closing) { /* the same thing, in the same province, after it opened */
        const lifecycle *lc = &lifecycles[closing->lifecycle];
        json_object_set(data, lc->id_field, json_object_get(closing->data, lc->id_field));
        for (size_t k = 0; k < 3 && lc->copied[k]; k++)
            json_object_set(data, lc->copied[k], json_object_get(closing->data, lc->copied[k]));
        closing->closed = true;
    } else if (opening >= 0) {
        char id[64];
        snprintf(id, sizeof id, "%s-%llu", lifecycles[opening].id_field, (unsigned long long)++g->serial);
        json_object_set_new(data, lifecycles[opening].id_field, json_string(id));
        if (g->items || (g->items = calloc(TRACKED, sizeof *g->items))) {
            tracked *it = &g->items[g->n_items++ % TRACKED];
            json_decref(it->data);
            memset(it, 0, sizeof *it);
            it->lifecycle = (size_t)opening;
            it->opened_day = today;
            snprintf(it->event_id, sizeof it->event_id, "%s", event_id);
            snprintf(it->province, sizeof it->province, "%s", province);
            it->data = json_incref(data);
        }
    }
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "event_id", event_id, "type", t->name, "occurred_at", when,
                           "province", province, "reporter", reporters_used[dfa_gen_below(g, COUNT(reporters_used))],
                           "schema_version", 1, "data", data);
    if (dfa_gen_below(g, 20) == 0)
        json_object_set_new(ev, "estimate", json_true());
    return dump_into(ev, out, cap);
}

size_t dfa_gen_retraction(const char *original, const char *event_id, char *out, size_t cap)
{
    json_t *ev = json_loads(original, 0, NULL);
    if (!ev)
        return 0;
    json_object_set_new(ev, "ref", json_string(json_string_value(json_object_get(ev, "event_id"))));
    json_object_set_new(ev, "event_id", json_string(event_id));
    json_object_set_new(ev, "op", json_string("retract"));
    return dump_into(ev, out, cap);
}

size_t dfa_gen_invalid(dfa_gen *g, const char *event_id, char *out, size_t cap)
{
    static const char *const faults[] = {
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T10:00:00Z\"",
        "{\"event_id\":\"%s\",\"type\":\"delegation.vanished\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{}}",
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"Atlantis\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"topic\":\"protocol\",\"participants\":3}}",
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"topic\":\"protocol\",\"participants\":\"ba\"}}",
        "{\"event_id\":\"%s\",\"type\":\"oda.allocated\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"donor_id\":\"jica\",\"sector\":\"health\",\"amount\":{\"amount\":5,\"currency\":\"DOLLARS\"}}}",
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-02-30T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"topic\":\"protocol\",\"participants\":3}}",
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"topic\":\"protocol\",\"participants\":3,\"trainer\":\"x\"}}",
        "[\"%s\"]",
        "{\"event_id\":\"%s\",\"type\":\"training.held\",\"province\":\"\xff\xfe\"}",
        "{\"id\":\"%s\",\"type\":\"training.held\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"province\":\"01\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{}}",
    };
    int n = snprintf(out, cap, faults[dfa_gen_below(g, COUNT(faults))], event_id);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
