#include "dfa_gen.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_period.h"

struct dfa_gen {
    const dfa_core *core;
    dfa_gen_options opt;
    uint64_t state;
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

void dfa_gen_free(dfa_gen *g) { free(g); }

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
    int secs = (int)dfa_gen_below(g, 86400);
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
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "event_id", event_id, "type", t->name, "occurred_at", when,
                           "province", province_text(g, day, pbuf, sizeof pbuf), "reporter",
                           reporters_used[dfa_gen_below(g, COUNT(reporters_used))], "schema_version", 1, "data",
                           event_data(g, t, day.year));
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
