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

/* The hash of a month's counters that holds row: month_key (dfa:{p:CC}:c:M<month>) and ":" and the sum of
 * the row's bytes modulo 8, the rule of docs/redis-layout.md, written again here as the oracle writes it.
 * The text lives until the eighth call after this one. */
static inline const char *in_part(const char *month_key, const char *row)
{
    static char keys[8][256];
    static int next;
    unsigned sum = 0;
    for (const unsigned char *c = (const unsigned char *)row; *c; c++)
        sum += *c;
    char *out = keys[next++ % 8];
    snprintf(out, sizeof keys[0], "%s:%u", month_key, sum % 8);
    return out;
}

static inline int close_core(void **state)
{
    dfa_core_free(*state);
    return 0;
}

#endif
