#include "dfa_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_array.h"
#include "dfa_log.h"

/* items[0..n): in the order taken. While a batch is in flight its messages
 * are items[0..n_flight); once it is settled they are items[0..n_settled);
 * never both. The rest wait. */
struct dfa_batch {
    dfa_applier *applier;
    const dfa_core *core;
    dfa_batch_item *items;
    void **sources;
    size_t n, cap, n_flight, n_settled;
};

dfa_status dfa_batch_new(dfa_applier *applier, const dfa_core *core, dfa_batch **out, dfa_error *err)
{
    dfa_batch *b = calloc(1, sizeof *b);
    if (!b)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    b->applier = applier;
    b->core = core;
    *out = b;
    return DFA_OK;
}

void dfa_batch_free(dfa_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        dfa_event_free(b->items[i].event);
    free(b->items);
    free(b->sources);
    free(b);
}

/* Room for one more message; the items may move (the applier is given the
 * array again at finish). */
static bool grow(dfa_batch *b)
{
    size_t cap_items = b->cap, cap_sources = b->cap;
    if (!dfa_array_reserve((void **)&b->items, &cap_items, b->n + 1, sizeof *b->items) ||
        !dfa_array_reserve((void **)&b->sources, &cap_sources, b->n + 1, sizeof *b->sources))
        return false;
    b->cap = cap_items < cap_sources ? cap_items : cap_sources;
    return true;
}

static size_t first_waiting(const dfa_batch *b) { return b->n_flight + b->n_settled; }

dfa_status dfa_batch_take(dfa_batch *b, const dfa_message *m, dfa_error *err)
{
    if (!grow(b))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory for %zu messages", b->n + 1);
    dfa_batch_item *it = &b->items[b->n];
    *it = (dfa_batch_item){.partition = m->partition, .offset = m->offset, .timestamp_ms = m->timestamp_ms};
    dfa_error e = {0};
    if (dfa_event_parse(b->core, m->payload ? m->payload : "", m->len, &it->event, &e) != DFA_OK) {
        it->event = NULL;
        it->outcome = DFA_OUTCOME_DEAD_LETTER;
        it->code = dfa_status_name(e.code);
        snprintf(it->reason, sizeof it->reason, "%s", e.msg);
    }
    b->sources[b->n++] = m->source;
    /* merged now, while Redis runs the batch in flight; begin stages again after a failure */
    size_t next = first_waiting(b);
    if (dfa_applier_stage(b->applier, b->items + next, b->n - next, &e) != DFA_OK)
        dfa_log(DFA_LOG_WARN, "stage_failed", "error=\"%s\"", e.msg);
    return DFA_OK;
}

size_t dfa_batch_held(const dfa_batch *b) { return b->n; }
size_t dfa_batch_waiting(const dfa_batch *b) { return b->n - first_waiting(b); }
bool dfa_batch_in_flight(const dfa_batch *b) { return b->n_flight > 0; }

dfa_status dfa_batch_begin(dfa_batch *b, const char *topic, dfa_error *err)
{
    if (b->n_flight || b->n_settled || b->n == 0)
        return DFA_OK;
    dfa_status st = dfa_applier_begin(b->applier, topic, b->items, b->n, err);
    if (st == DFA_OK)
        b->n_flight = dfa_applier_taken(b->applier);
    return st;
}

dfa_status dfa_batch_finish(dfa_batch *b, dfa_error *err)
{
    if (!b->n_flight)
        return DFA_OK;
    size_t done = 0;
    dfa_status st = dfa_applier_finish(b->applier, b->items, &done, err);
    if (st != DFA_OK || done != b->n_flight)
        dfa_applier_unstage(b->applier); /* the next batch starts elsewhere than was staged */
    b->n_flight = 0;
    if (st == DFA_OK)
        b->n_settled = done;
    return st;
}

size_t dfa_batch_settled(const dfa_batch *b) { return b->n_settled; }
const dfa_batch_item *dfa_batch_item_at(const dfa_batch *b, size_t i) { return i < b->n ? &b->items[i] : NULL; }
void *dfa_batch_source_at(const dfa_batch *b, size_t i) { return i < b->n ? b->sources[i] : NULL; }

/* Removes items[i] for which keep[i] is false, keeping the order. */
static void compact(dfa_batch *b, const bool *keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (!keep[i])
            continue;
        b->items[kept] = b->items[i];
        b->sources[kept++] = b->sources[i];
    }
    b->n = kept;
}

void dfa_batch_release(dfa_batch *b, dfa_batch_give_back give_back, void *ctx)
{
    size_t n = b->n_settled;
    for (size_t i = 0; i < n; i++) {
        dfa_event_free(b->items[i].event);
        give_back(ctx, b->sources[i]);
    }
    memmove(b->items, b->items + n, (b->n - n) * sizeof *b->items);
    memmove(b->sources, b->sources + n, (b->n - n) * sizeof *b->sources);
    b->n -= n;
    b->n_settled = 0;
    /* what was staged is the next batch, now at the front: still valid */
}

void dfa_batch_forget(dfa_batch *b, dfa_batch_drop drop, void *ctx)
{
    if (b->n_flight || b->n == 0)
        return;
    bool *keep = malloc(b->n * sizeof *keep);
    if (!keep)
        return; /* rare: nothing forgotten, the messages are simply kept */
    size_t settled = 0;
    for (size_t i = 0; i < b->n; i++) {
        keep[i] = !drop(ctx, b->sources[i]);
        if (!keep[i])
            dfa_event_free(b->items[i].event);
        settled += keep[i] && i < b->n_settled;
    }
    dfa_applier_unstage(b->applier);
    compact(b, keep);
    b->n_settled = settled;
    free(keep);
}
