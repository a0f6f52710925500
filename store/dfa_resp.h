/* dfa_resp: a pipeline of Redis commands written straight into one buffer in
 * the RESP protocol. A batch's transaction is tens of thousands of commands
 * whose arguments are already strings; writing them here costs a few copies
 * each, where formatting them one by one allocated for every command.
 *
 * A command is started with its argument count, then given exactly that many
 * arguments. An allocation failure is sticky: later calls do nothing and
 * dfa_resp_failed() says so, so a long run of writes is checked once. */
#ifndef DFA_RESP_H
#define DFA_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dfa_resp dfa_resp;

/* NULL on allocation failure. Free with dfa_resp_free. */
dfa_resp *dfa_resp_new(void);
void dfa_resp_free(dfa_resp *b);

/* Empties the buffer (keeping its memory) and clears a failure. */
void dfa_resp_clear(dfa_resp *b);

/* Starts a command of argc arguments (its name included). */
void dfa_resp_command(dfa_resp *b, size_t argc);

/* One argument: len bytes of s, a NUL-terminated string, or a decimal integer. */
void dfa_resp_arg(dfa_resp *b, const char *s, size_t len);
void dfa_resp_str(dfa_resp *b, const char *s);
void dfa_resp_int(dfa_resp *b, int64_t v);

/* A whole command of argc NUL-terminated arguments (its name first). */
void dfa_resp_argv(dfa_resp *b, const char *const *argv, size_t argc);

/* The protocol text so far (owned by b, valid until the next write), and how
 * many commands it holds. */
const char *dfa_resp_data(const dfa_resp *b, size_t *len);
size_t dfa_resp_commands(const dfa_resp *b);

/* One command of a buffer as dfa_resp_next finds it: its protocol bytes,
 * and its first argument after the name (the key of the pipeline's commands;
 * NULL and 0 when it has none). Both point into the buffer. */
typedef struct {
    const char *cmd;
    size_t len;
    const char *key;
    size_t key_len;
} dfa_resp_span;

/* The command at *pos (0 for the first) into *out, *pos moved past it:
 * for a router that sends each command where its key lives. False at the end
 * (or on bytes not written by this module). */
bool dfa_resp_next(const dfa_resp *b, size_t *pos, dfa_resp_span *out);

/* Appends one whole command as dfa_resp_next gave it (len bytes, copied). */
void dfa_resp_raw(dfa_resp *b, const char *cmd, size_t len);

/* Whether an allocation failed since the last clear. */
bool dfa_resp_failed(const dfa_resp *b);

#endif
