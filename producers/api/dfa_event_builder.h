/* dfa_event_builder: composes an event of the contract field by field, for
 * department systems that would rather not write JSON by hand.
 *
 *   dfa_event_builder *b = dfa_event_builder_new("delegation.out.approved", "hn-2026-0001",
 *                                                 "2026-03-02T08:00:00+07:00", "01", "dept_foreign_affairs");
 *   dfa_event_builder_set_text(b, "level", "provincial_leaders");
 *   dfa_event_builder_set_int(b, "members", 6);
 *   dfa_event_builder_set_countries(b, "countries", (const char *[]){"JP", "KR"}, 2);
 *   dfa_producer_send_built(p, b, 1, &err);
 *   dfa_event_builder_free(b);
 *
 * The builder checks nothing: the producer validates the result like any
 * other event and says which field is wrong. */
#ifndef DFA_EVENT_BUILDER_H
#define DFA_EVENT_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dfa_event_builder dfa_event_builder;

/* Copies every string it is given. NULL on allocation failure. */
dfa_event_builder *dfa_event_builder_new(const char *type, const char *event_id, const char *occurred_at,
                                         const char *province, const char *reporter);
void dfa_event_builder_free(dfa_event_builder *b);

void dfa_event_builder_set_int(dfa_event_builder *b, const char *field, int64_t value);
void dfa_event_builder_set_text(dfa_event_builder *b, const char *field, const char *value);
void dfa_event_builder_set_bool(dfa_event_builder *b, const char *field, bool value);
void dfa_event_builder_set_money(dfa_event_builder *b, const char *field, int64_t minor_units, const char *currency);
void dfa_event_builder_set_countries(dfa_event_builder *b, const char *field, const char *const *codes, size_t n);
/* Makes it a retraction of the event `ref`. */
void dfa_event_builder_retract(dfa_event_builder *b, const char *ref);
void dfa_event_builder_estimate(dfa_event_builder *b, bool estimate);

/* The event as compact JSON; the caller frees it with free(). NULL on
 * allocation failure. */
char *dfa_event_builder_json(const dfa_event_builder *b);

#endif
