/* dfa_log: one line per event on stderr, as key=value pairs:
 *   ts=2026-11-22T19:40:01.123Z level=info prog=dfa-consumer event=batch events=5000 */
#ifndef DFA_LOG_H
#define DFA_LOG_H

#include <stddef.h>

typedef enum { DFA_LOG_DEBUG, DFA_LOG_INFO, DFA_LOG_WARN, DFA_LOG_ERROR } dfa_log_level;

/* program is kept (not copied): pass a string literal or argv[0]. level is
 * "debug", "info", "warn" or "error"; anything else means info. */
void dfa_log_init(const char *program, const char *level);

/* fmt formats the pairs after event=..., e.g. "events=%zu topic=%s". */
void dfa_log(dfa_log_level level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes s into buf as a double-quoted value with ", \ and control characters
 * escaped, truncated to fit; returns buf. For messages inside a log line. */
const char *dfa_log_quote(const char *s, char *buf, size_t cap);

#endif
