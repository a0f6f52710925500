/* dfa_totals: the read API's view of a rollup (dfa_rollup, docs/snapshots.md): one
 * scope (the nation, a province of today, or a historic
 * unit), the metrics asked for, each row with the catalog's kind, Vietnamese
 * label and unit, and the coverage with who declared "không có".
 *
 * It only selects and labels what the rollup computed: nothing is summed here
 * (docs/view.md, schema dfa.totals/1). */
#ifndef DFA_TOTALS_H
#define DFA_TOTALS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dfa_core.h"

typedef struct {
    const char *scope;              /* NULL: the nation; else a unit id of the rollup ("01", or "89x" in a historic one) */
    const char *const *metrics;     /* only these metrics (NULL or n_metrics 0: all) */
    size_t n_metrics;
    bool by_province;               /* also every province's rows (the nation only) */
    bool breakdowns;                /* rows with breakdowns ("delegations_out|level=..."), not only totals */
} dfa_totals_filter;

/* The totals document of rollup for filter; NULL when the scope is not a unit
 * of the rollup. The caller owns the result (json_decref). */
json_t *dfa_totals_build(const json_t *rollup, const dfa_core *core, const dfa_totals_filter *f);

/* The rollup cut down to the filter (the rollup's schema), for
 * dfa_rollup_csv: the national scope and the provinces the filter keeps, with
 * their rows. NULL like dfa_totals_build. The caller owns the result. */
json_t *dfa_totals_select(const json_t *rollup, const dfa_totals_filter *f);

#endif
