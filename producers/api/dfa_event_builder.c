#include "dfa_event_builder.h"

#include <jansson.h>
#include <stdlib.h>

#include "dfa_event.h"

struct dfa_event_builder {
    json_t *event; /* owns everything */
};

dfa_event_builder *dfa_event_builder_new(const char *type, const char *event_id, const char *occurred_at,
                                         const char *province, const char *reporter)
{
    dfa_event_builder *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    b->event = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:i,s:{}}", "event_id", event_id, "type", type, "occurred_at",
                         occurred_at, "province", province, "reporter", reporter, "schema_version", DFA_SCHEMA_VERSION,
                         "data");
    if (!b->event) {
        free(b);
        return NULL;
    }
    return b;
}

void dfa_event_builder_free(dfa_event_builder *b)
{
    if (!b)
        return;
    json_decref(b->event);
    free(b);
}

static void set_data(dfa_event_builder *b, const char *field, json_t *value)
{
    json_object_set_new(json_object_get(b->event, "data"), field, value);
}

void dfa_event_builder_set_int(dfa_event_builder *b, const char *field, int64_t value) { set_data(b, field, json_integer(value)); }
void dfa_event_builder_set_text(dfa_event_builder *b, const char *field, const char *value) { set_data(b, field, json_string(value)); }
void dfa_event_builder_set_bool(dfa_event_builder *b, const char *field, bool value) { set_data(b, field, json_boolean(value)); }

void dfa_event_builder_set_money(dfa_event_builder *b, const char *field, int64_t minor_units, const char *currency)
{
    set_data(b, field, json_pack("{s:I,s:s}", "amount", (json_int_t)minor_units, "currency", currency));
}

void dfa_event_builder_set_countries(dfa_event_builder *b, const char *field, const char *const *codes, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(codes[i]));
    set_data(b, field, list);
}

void dfa_event_builder_retract(dfa_event_builder *b, const char *ref)
{
    json_object_set_new(b->event, "op", json_string("retract"));
    json_object_set_new(b->event, "ref", json_string(ref));
}

void dfa_event_builder_estimate(dfa_event_builder *b, bool estimate)
{
    json_object_set_new(b->event, "estimate", json_boolean(estimate));
}

char *dfa_event_builder_json(const dfa_event_builder *b) { return json_dumps(b->event, JSON_COMPACT); }
