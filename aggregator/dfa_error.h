/* dfa_error: the status codes and message buffer every fallible call fills.
 *
 * Runtime errors never abort: a function returns a dfa_status and, when given a
 * non-NULL dfa_error, writes one line saying what failed, where and why. */
#ifndef DFA_ERROR_H
#define DFA_ERROR_H

typedef enum {
    DFA_OK = 0,
    DFA_ERR_JSON,          /* not a JSON object: syntax, encoding, duplicate key, depth */
    DFA_ERR_SCHEMA,        /* a field is missing, unknown, or has a wrong type or value */
    DFA_ERR_UNKNOWN_TYPE,  /* `type` is not in the catalog */
    DFA_ERR_PROVINCE,      /* `province` names no unit, or none in force on the date */
    DFA_ERR_TIME,          /* `occurred_at` is not RFC 3339 or out of range */
    DFA_ERR_CATALOG,       /* config/catalog.json is inconsistent (startup) */
    DFA_ERR_CONFIG,        /* a config file, key or value is wrong (startup) */
    DFA_ERR_IO,            /* a file, Redis or Kafka could not be read or written: may succeed later */
    DFA_ERR_NOMEM,         /* an allocation failed */
    DFA_ERR_LIMIT,         /* a bound was reached (too many keys, too long a line) */
    DFA_ERR_CSV,           /* CSV input: its quoting, cell count, encoding or header columns */
    DFA_ERR__COUNT
} dfa_status;

#define DFA_ERROR_MSG_MAX 320

typedef struct {
    dfa_status code;
    char msg[DFA_ERROR_MSG_MAX];
} dfa_error;

/* Stable lower-case name of a status, e.g. "schema"; used in logs and the
 * dead-letter reason. Never NULL. */
const char *dfa_status_name(dfa_status code);

/* Fills err (when non-NULL) and returns code, so callers can write
 * `return dfa_fail(err, DFA_ERR_SCHEMA, "data.x: ...")`. A message longer
 * than the buffer is cut between two UTF-8 characters. Input echoed in a
 * message goes through dfa_text_escape first (dfa_text.h): the message may be
 * printed on a line of its own or sent as a JSON string. */
dfa_status dfa_fail(dfa_error *err, dfa_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an error message already set (for file names); cut
 * like dfa_fail's when it no longer fits. */
void dfa_error_prefix(dfa_error *err, const char *prefix);

#endif
