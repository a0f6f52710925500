#include "dfa_ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_array.h"
#include "dfa_clock.h"

typedef struct {
    char *key;
    double tokens, at; /* tokens left at time `at` */
} bucket;

struct dfa_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    bucket *buckets;
    size_t n, cap;
};

dfa_ratelimit *dfa_ratelimit_new(double rate_per_s, double burst)
{
    dfa_ratelimit *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->rate = rate_per_s;
    r->burst = burst;
    return r;
}

void dfa_ratelimit_free(dfa_ratelimit *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->buckets[i].key);
    free(r->buckets);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static bucket *find(dfa_ratelimit *r, const char *key, double now)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->buckets[i].key, key) == 0)
            return &r->buckets[i];
    char *k = strdup(key);
    if (!k || !dfa_array_reserve((void **)&r->buckets, &r->cap, r->n + 1, sizeof *r->buckets)) {
        free(k);
        return NULL;
    }
    r->buckets[r->n] = (bucket){k, r->burst, now};
    return &r->buckets[r->n++];
}

unsigned dfa_ratelimit_take(dfa_ratelimit *r, const char *key)
{
    double now = dfa_clock_seconds();
    unsigned wait = 0;
    pthread_mutex_lock(&r->lock);
    bucket *b = find(r, key, now);
    if (b) {
        b->tokens = fmin(r->burst, b->tokens + (now - b->at) * r->rate);
        b->at = now;
        if (b->tokens >= 1)
            b->tokens -= 1;
        else
            wait = (unsigned)ceil((1 - b->tokens) / r->rate);
    }
    pthread_mutex_unlock(&r->lock);
    return wait;
}
