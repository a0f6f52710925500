/* dfa_bench_producer: the producer of the bench tools that publish a
 * replayed file, made from that file's configuration and core. */
#ifndef DFA_BENCH_PRODUCER_H
#define DFA_BENCH_PRODUCER_H

#include "dfa_bench.h"
#include "dfa_producer.h"

/* NULL (with a message on stderr) if it cannot be made. Keeps in's cfg and
 * core (borrowed: in must outlive it). Free with dfa_producer_free. */
dfa_producer *dfa_bench_producer(const dfa_bench_input *in, dfa_delivery_fn on_delivery, void *ctx);

#endif
