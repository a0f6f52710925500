#include "dfa_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_program = "dfa";
static dfa_log_level log_threshold = DFA_LOG_INFO;

void dfa_log_init(const char *program, const char *level)
{
    const char *slash = program ? strrchr(program, '/') : NULL;
    log_program = slash ? slash + 1 : (program ? program : "dfa");
    static const char *const names[] = {"debug", "info", "warn", "error"};
    log_threshold = DFA_LOG_INFO;
    for (int i = 0; level && i < 4; i++)
        if (strcmp(level, names[i]) == 0)
            log_threshold = (dfa_log_level)i;
}

void dfa_log(dfa_log_level level, const char *event, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level < log_threshold)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s prog=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[level], log_program, event);
    if (n > 0 && (size_t)n < sizeof line - 2 && fmt && *fmt) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "%s\n", line); /* one write per line keeps lines whole */
}

const char *dfa_log_quote(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap < 3) {
        if (cap)
            buf[0] = '\0';
        return buf;
    }
    buf[n++] = '"';
    for (; s && *s && n + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else {
            buf[n++] = c < 0x20 ? ' ' : (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}
