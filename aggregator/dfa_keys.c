#include "dfa_keys.h"

#include <stdio.h>
#include <string.h>

const dfa_period_kind dfa_stored_bucket_kinds[DFA_STORED_BUCKETS] = {DFA_PERIOD_DAY, DFA_PERIOD_MONTH};

/* Concatenates the non-NULL parts into out; false if they do not fit. Keys
 * and rows are built for every delta of every event: plain copies rather
 * than snprintf, which showed in the consumer's profile. */
static bool join(char *out, size_t cap, const char *const *parts, size_t n)
{
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i])
            continue;
        size_t len = strlen(parts[i]);
        if (used + len >= cap)
            return false;
        memcpy(out + used, parts[i], len);
        used += len;
    }
    out[used] = '\0';
    return true;
}

#define JOIN(out, cap, ...) join(out, cap, (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

bool dfa_row(char *out, size_t cap, const char *metric, const char *dim, const char *value,
             const char *currency, const char *unit_id)
{
    return JOIN(out, cap, metric, dim ? "|" : NULL, dim, dim ? "=" : NULL, dim ? value : NULL, currency ? "|cur=" : NULL,
                currency, "@", unit_id);
}

bool dfa_field_estimate(char *out, size_t cap, const char *row)
{
    return JOIN(out, cap, DFA_FIELD_ESTIMATE_PREFIX, row);
}

bool dfa_key_counters(char *out, size_t cap, const char *code, const char *bucket)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:c:", bucket);
}

bool dfa_key_distinct(char *out, size_t cap, const char *code, const char *bucket, const char *row)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:d:", bucket, ":", row);
}

bool dfa_key_gauge(char *out, size_t cap, const char *code, const char *row)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:g:", row);
}

bool dfa_key_targets(char *out, size_t cap, const char *code, const char *period)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:t:", period);
}

bool dfa_key_memory(char *out, size_t cap, const char *code, const char *day)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:e:", day);
}

bool dfa_key_province(char *out, size_t cap, const char *code, const char *name)
{
    return JOIN(out, cap, DFA_KEY_PREFIX "{p:", code, "}:", name);
}

bool dfa_key_snapshot(char *out, size_t cap, const char *period, const char *as_of, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    return JOIN(out, cap, DFA_KEY_PREFIX "snap:", period, "@", as_of, ":v", v);
}

bool dfa_key_consumer(char *out, size_t cap, const char *client_id)
{
    return JOIN(out, cap, DFA_KEY_CONSUMER_PREFIX, client_id);
}
