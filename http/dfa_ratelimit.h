/* dfa_ratelimit: a token bucket per key (a token's name), for 429 with
 * Retry-After. Each key may take `burst` requests at once, then `rate` a
 * second. Thread-safe. Keys are the callers' authenticated names, so the
 * number of buckets is bounded by the token file, not by what clients send. */
#ifndef DFA_RATELIMIT_H
#define DFA_RATELIMIT_H

typedef struct dfa_ratelimit dfa_ratelimit;

/* NULL on allocation failure; the limiter belongs to the caller. */
dfa_ratelimit *dfa_ratelimit_new(double rate_per_s, double burst);
void dfa_ratelimit_free(dfa_ratelimit *r);

/* Takes one request from key's bucket (key is copied the first time): 0 when
 * allowed, else the whole seconds to wait before one is (at least 1). */
unsigned dfa_ratelimit_take(dfa_ratelimit *r, const char *key);

#endif
