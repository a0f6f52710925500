#include "dfa_core.h"

#include <sodium.h>
#include <stdlib.h>

struct dfa_core {
    dfa_catalog *catalog;
    dfa_provinces *provinces;
};

dfa_status dfa_core_open(const char *catalog_path, const char *provinces_path, dfa_core **out,
                         dfa_error *err)
{
    if (sodium_init() < 0) /* picks its implementations once; safe to call again */
        return dfa_fail(err, DFA_ERR_NOMEM, "libsodium: could not initialise");
    dfa_core *core = calloc(1, sizeof *core);
    if (!core)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = dfa_catalog_load(catalog_path, &core->catalog, err);
    if (st == DFA_OK)
        st = dfa_provinces_load(provinces_path, &core->provinces, err);
    if (st != DFA_OK) {
        dfa_core_free(core);
        return st;
    }
    *out = core;
    return DFA_OK;
}

void dfa_core_free(dfa_core *core)
{
    if (!core)
        return;
    dfa_catalog_free(core->catalog);
    dfa_provinces_free(core->provinces);
    free(core);
}

const dfa_catalog *dfa_core_catalog(const dfa_core *core) { return core->catalog; }
const dfa_provinces *dfa_core_provinces(const dfa_core *core) { return core->provinces; }
