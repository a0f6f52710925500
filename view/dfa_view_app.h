/* dfa_view_app: what every part of dfa-view shares: the configuration, the
 * core, the tokens, the figures (dfa_view_cache) and the live streams. */
#ifndef DFA_VIEW_APP_H
#define DFA_VIEW_APP_H

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_metrics.h"
#include "dfa_token.h"
#include "dfa_view_cache.h"

typedef struct dfa_view_streams dfa_view_streams;

typedef struct {
    const dfa_config *cfg;
    const dfa_core *core;
    dfa_tokens *tokens;
    dfa_metrics *metrics;
    dfa_view_cache *cache;
    dfa_view_streams *streams;
} dfa_view_app;

#endif
