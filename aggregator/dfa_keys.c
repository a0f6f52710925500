#include "dfa_keys.h"

#include <stdio.h>

const dfa_period_kind dfa_stored_bucket_kinds[DFA_STORED_BUCKETS] = {DFA_PERIOD_DAY, DFA_PERIOD_MONTH};

static bool fits(int n, size_t cap) { return n >= 0 && (size_t)n < cap; }

bool dfa_row(char *out, size_t cap, const char *metric, const char *dim, const char *value,
             const char *currency, const char *unit_id)
{
    return fits(snprintf(out, cap, "%s%s%s%s%s%s%s@%s", metric, dim ? "|" : "", dim ? dim : "", dim ? "=" : "",
                         dim ? value : "", currency ? "|cur=" : "", currency ? currency : "", unit_id),
                cap);
}

bool dfa_key_tag(char *out, size_t cap, const char *code) { return fits(snprintf(out, cap, "{p:%s}", code), cap); }

bool dfa_key_counters(char *out, size_t cap, const char *code, const char *bucket)
{
    return fits(snprintf(out, cap, DFA_KEY_PREFIX "{p:%s}:c:%s", code, bucket), cap);
}

bool dfa_key_distinct(char *out, size_t cap, const char *code, const char *bucket, const char *row)
{
    return fits(snprintf(out, cap, DFA_KEY_PREFIX "{p:%s}:d:%s:%s", code, bucket, row), cap);
}

bool dfa_key_gauge(char *out, size_t cap, const char *code, const char *row)
{
    return fits(snprintf(out, cap, DFA_KEY_PREFIX "{p:%s}:g:%s", code, row), cap);
}

bool dfa_key_targets(char *out, size_t cap, const char *code, const char *period)
{
    return fits(snprintf(out, cap, DFA_KEY_PREFIX "{p:%s}:t:%s", code, period), cap);
}
