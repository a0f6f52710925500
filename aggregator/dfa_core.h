/* dfa_core: the reference data every part of the pipeline validates against:
 * the catalog and the province table, loaded together at startup. */
#ifndef DFA_CORE_H
#define DFA_CORE_H

#include "dfa_catalog.h"
#include "dfa_error.h"
#include "dfa_province.h"

typedef struct dfa_core dfa_core;

/* Loads both files. On success *out belongs to the caller (dfa_core_free). */
dfa_status dfa_core_open(const char *catalog_path, const char *provinces_path, dfa_core **out,
                         dfa_error *err);
void dfa_core_free(dfa_core *core);

const dfa_catalog *dfa_core_catalog(const dfa_core *core);
const dfa_provinces *dfa_core_provinces(const dfa_core *core);

#endif
