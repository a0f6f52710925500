#include "dfa_bench_producer.h"

#include <stdio.h>

dfa_producer *dfa_bench_producer(const dfa_bench_input *in, dfa_delivery_fn on_delivery, void *ctx)
{
    dfa_producer *p = NULL;
    dfa_error err = {0};
    if (dfa_producer_new(in->cfg, in->core, on_delivery, ctx, &p, &err) != DFA_OK) {
        fprintf(stderr, "producer: %s\n", err.msg);
        return NULL;
    }
    return p;
}
