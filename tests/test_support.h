/* Shared set-up of the unit tests: cmocka's headers in the order it needs,
 * and the core loaded from the repository's config/. */
#ifndef DFA_TEST_SUPPORT_H
#define DFA_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dfa_core.h"

#define CATALOG_PATH DFA_TEST_CONFIG_DIR "/catalog.json"
#define PROVINCES_PATH DFA_TEST_CONFIG_DIR "/provinces.csv"

/* cmocka group setup: *state becomes the loaded core. */
static inline int open_core(void **state)
{
    dfa_core *core = NULL;
    dfa_error err = {0};
    if (dfa_core_open(CATALOG_PATH, PROVINCES_PATH, &core, &err) != DFA_OK) {
        fprintf(stderr, "cannot load core: %s\n", err.msg);
        return -1;
    }
    *state = core;
    return 0;
}

static inline int close_core(void **state)
{
    dfa_core_free(*state);
    return 0;
}

#endif
