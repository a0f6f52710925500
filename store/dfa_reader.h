/* dfa_reader: reads the counters back as figures of a period, for one
 * province or the nation (docs/redis-layout.md).
 *
 * A figure is a row without its unit ("delegations_out|level=departments",
 * "ngo_aid_pledged|cur=USD") and a value computed by the metric's kind:
 * flows summed over the period, stocks balanced at its end, gauges as last
 * reported at or before its end, distinct ids counted (a national distinct is
 * the union of the provinces' ids, not a sum). */
#ifndef DFA_READER_H
#define DFA_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfa_core.h"
#include "dfa_error.h"
#include "dfa_period.h"
#include "dfa_redis.h"

typedef struct dfa_figures dfa_figures;

typedef struct {
    const char *row;  /* owned by the figures */
    int64_t value;
} dfa_figure;

/* NULL on allocation failure. */
dfa_figures *dfa_figures_new(void);
void dfa_figures_free(dfa_figures *f);
size_t dfa_figures_count(const dfa_figures *f);
/* Figures sorted by row. */
const dfa_figure *dfa_figures_at(const dfa_figures *f, size_t i);
/* 0 when the row is absent. */
int64_t dfa_figures_get(const dfa_figures *f, const char *row);
bool dfa_figures_has(const dfa_figures *f, const char *row);

typedef struct {
    dfa_date first, last;
    const char *period_id; /* targets and nil declarations are read for this id; may be NULL */
    const char *unit_id;   /* NULL: restated on today's units; else only that unit ("89x") */
} dfa_read_spec;

/* What a read found besides the figures. */
typedef struct {
    bool reported[128];    /* per current unit index: any event or nil declaration in the period */
    size_t provinces_reported;
    uint64_t round_trips;
} dfa_read_info;

/* Reads the figures of one current unit (province != NULL) or of the nation
 * (NULL) into out, which must be empty. Plan targets appear as
 * "plan|<row>" and nil declarations as "nil|<row>". For the nation, each
 * (when not NULL) receives every province's own figures, indexed like
 * dfa_provinces_current; the caller frees them. */
dfa_status dfa_read_figures(dfa_redis *r, const dfa_core *core, const dfa_unit *province, const dfa_read_spec *spec,
                            dfa_figures *out, dfa_figures **each, dfa_read_info *info, dfa_error *err);

/* The applied-offset markers: for every "topic:partition" the highest offset
 * any province has applied, as {"dfa.events:0": 123, ...}, in one pipelined
 * round trip. When moved is not NULL, moved[i] receives, per current unit
 * index (dfa_provinces_current), the sum of that province's own markers (it
 * changes exactly when the province's events are applied). NULL when Redis
 * fails (err says why); the object belongs to the caller (json_decref). */
struct json_t *dfa_read_offsets(dfa_redis *r, const dfa_core *core, int64_t *moved, dfa_error *err);

#endif
