#include "dfa_memory.h"

#include <stdio.h>
#include <string.h>

#define FP_LEN 16

static void remember(char *now, char kind, const char *fp)
{
    now[0] = kind;
    memcpy(now + 1, fp, FP_LEN);
    now[1 + FP_LEN] = '\0';
}

/* Calls back for each waiting copy of a tombstone value: its fingerprint
 * (FP_LEN bytes, not terminated) and its retraction's id (rid_len bytes). */
typedef void (*copy_fn)(void *ctx, const char *fp, const char *rid, size_t rid_len);

static size_t each_copy(const char *tombstone, copy_fn fn, void *ctx)
{
    size_t n = 0;
    for (const char *p = tombstone + 1; strlen(p) > FP_LEN; n++) {
        const char *rid = p + FP_LEN, *end = strchr(rid, ',');
        if (!end)
            break; /* a damaged tail: what came before still holds */
        if (fn)
            fn(ctx, p, rid, (size_t)(end - rid));
        p = end + 1;
    }
    return n;
}

typedef struct {
    const char *fp;
    bool found;
    char *mismatched;
    size_t used, cap;
} add_scan;

static void scan_copy(void *ctx, const char *fp, const char *rid, size_t rid_len)
{
    add_scan *s = ctx;
    if (memcmp(fp, s->fp, FP_LEN) == 0) {
        s->found = true;
        return;
    }
    if (s->used + rid_len + 2 > s->cap)
        return; /* the first ones are enough to find the rest */
    if (s->used)
        s->mismatched[s->used++] = ',';
    memcpy(s->mismatched + s->used, rid, rid_len);
    s->used += rid_len;
    s->mismatched[s->used] = '\0';
}

dfa_memory_verdict dfa_memory_add(const char *was, const char *fp, char *now, char *mismatched, size_t cap)
{
    now[0] = '\0';
    if (cap)
        mismatched[0] = '\0';
    if (!was || !*was) {
        remember(now, 'c', fp);
        return DFA_MEMORY_COUNT;
    }
    if (was[0] != 't')
        return DFA_MEMORY_DUPLICATE;
    add_scan s = {fp, false, mismatched, 0, cap};
    each_copy(was, scan_copy, &s);
    /* a faithful copy cancels it; other copies cancel nothing and are reported */
    remember(now, s.found ? 'r' : 'c', fp);
    return s.found ? DFA_MEMORY_CANCEL : DFA_MEMORY_COUNT;
}

typedef struct {
    const char *fp;
    bool found;
} retract_scan;

static void find_copy(void *ctx, const char *fp, const char *rid, size_t rid_len)
{
    (void)rid, (void)rid_len;
    retract_scan *s = ctx;
    s->found |= memcmp(fp, s->fp, FP_LEN) == 0;
}

dfa_memory_verdict dfa_memory_retract(const char *was, const char *fp, const char *rid, char *now)
{
    now[0] = '\0';
    if (!was || !*was) {
        snprintf(now, DFA_MEMORY_VALUE_MAX, "t%.16s%s,", fp, rid);
        return DFA_MEMORY_TOMBSTONE;
    }
    switch (was[0]) {
    case 'c':
        if (strncmp(was + 1, fp, FP_LEN) != 0)
            return DFA_MEMORY_MISMATCH;
        remember(now, 'r', fp);
        return DFA_MEMORY_RETRACT;
    case 'r':
        return strncmp(was + 1, fp, FP_LEN) == 0 ? DFA_MEMORY_ALREADY : DFA_MEMORY_MISMATCH;
    case 't': {
        retract_scan s = {fp, false};
        size_t n = each_copy(was, find_copy, &s);
        if (s.found)
            return DFA_MEMORY_ALREADY;
        if (n >= DFA_MEMORY_MAX_COPIES)
            return DFA_MEMORY_FULL;
        snprintf(now, DFA_MEMORY_VALUE_MAX, "%s%.16s%s,", was, fp, rid);
        return DFA_MEMORY_TOMBSTONE;
    }
    default:
        return DFA_MEMORY_NOT_EVENT;
    }
}
