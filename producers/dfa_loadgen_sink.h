/* dfa_loadgen_sink: where dfa-loadgen's lines go: an NDJSON file (or
 * stdout), or Kafka through dfa_producer. Lines are sent as they are, invalid
 * ones included: the sink does not validate, the pipeline must. */
#ifndef DFA_LOADGEN_SINK_H
#define DFA_LOADGEN_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_config.h"
#include "dfa_error.h"

typedef struct dfa_loadgen_sink dfa_loadgen_sink;

/* to_kafka: publish to cfg's topic.events; else write to path ("-" or NULL:
 * stdout). On success *out belongs to the caller until dfa_loadgen_sink_close. */
dfa_status dfa_loadgen_sink_open(const dfa_config *cfg, bool to_kafka, const char *path, dfa_loadgen_sink **out,
                                 dfa_error *err);

/* 0 on success. */
int dfa_loadgen_sink_write(dfa_loadgen_sink *s, const char *line, size_t len);

/* Flushes, reports failures, frees. 0 if every line was written or delivered. */
int dfa_loadgen_sink_close(dfa_loadgen_sink *s);

#endif
