#include "dfa_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dfa_text.h"

static const char *const status_names[DFA_ERR__COUNT] = {
    [DFA_OK] = "ok",
    [DFA_ERR_JSON] = "json",
    [DFA_ERR_SCHEMA] = "schema",
    [DFA_ERR_UNKNOWN_TYPE] = "unknown_type",
    [DFA_ERR_PROVINCE] = "province",
    [DFA_ERR_TIME] = "time",
    [DFA_ERR_CATALOG] = "catalog",
    [DFA_ERR_CONFIG] = "config",
    [DFA_ERR_IO] = "io",
    [DFA_ERR_NOMEM] = "nomem",
    [DFA_ERR_LIMIT] = "limit",
    [DFA_ERR_CSV] = "csv",
};

const char *dfa_status_name(dfa_status code)
{
    if ((int)code < 0 || code >= DFA_ERR__COUNT)
        return "unknown";
    return status_names[code];
}

/* A message cut at the end of the buffer loses the rest of its last
 * character too: half a UTF-8 sequence would make the whole message invalid
 * (jansson refuses it, and dfa-check --json would lose the error). */
static void cut_cleanly(char *msg, int wanted)
{
    if (wanted < 0 || (size_t)wanted < DFA_ERROR_MSG_MAX)
        return;
    msg[dfa_text_utf8_prefix(msg, strlen(msg))] = '\0';
}

dfa_status dfa_fail(dfa_error *err, dfa_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        cut_cleanly(err->msg, vsnprintf(err->msg, sizeof err->msg, fmt, ap));
        va_end(ap);
        err->code = code;
    }
    return code;
}

void dfa_error_prefix(dfa_error *err, const char *prefix)
{
    if (!err)
        return;
    char tmp[DFA_ERROR_MSG_MAX];
    cut_cleanly(tmp, snprintf(tmp, sizeof tmp, "%s: %s", prefix, err->msg));
    memcpy(err->msg, tmp, sizeof tmp);
}
