/* dfa_token: who may publish and read what, through the HTTP services.
 *
 * The token file (gateway.tokens) has one token a line, five fields separated
 * by tabs or spaces; '#' starts a comment:
 *
 *   # name        secret hash                provinces  reporters              rights
 *   hanoi-dept    b2:<32 hex>:<64 hex>        01         dept_foreign_affairs   publish,read
 *   ministry      b2:...                      *          *                      read
 *
 *   - name: 1-64 of [a-z0-9_-], unique;
 *   - the hash of the secret: BLAKE2b-256 (libsodium's crypto_generichash)
 *     keyed with a random 16-byte salt, "b2:SALT:HASH" in hex;
 *   - provinces: today's codes, comma-separated, or * for all. An event
 *     counts for the unit in force today (an event of Hà Giang before the 2025
 *     merger belongs to Tuyên Quang, 08), so a department of 08 publishes the
 *     history of the units it absorbed and nothing else;
 *   - reporters: the catalog's reporter roles, comma-separated, or *;
 *   - rights: publish and/or read, comma-separated.
 *
 * A token as presented is "NAME.SECRET", the secret being 32 random bytes
 * (randombytes_buf) in unpadded base64url. A fast hash is sound for it: slow
 * password hashes exist to make guessing low-entropy human passwords costly,
 * and 256 random bits cannot be guessed at any speed; a slow hash would only
 * make every request cost tens of milliseconds of CPU, which an attacker could
 * spend for us. The salt makes each stored hash unique. The hash is compared
 * in constant time (sodium_memcmp); a secret is never logged, never in argv,
 * and wiped from memory after use where this module holds it.
 *
 * A loaded table is immutable and reference-counted, so a reload (SIGHUP)
 * swaps tables while requests still hold the old one. */
#ifndef DFA_TOKEN_H
#define DFA_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "dfa_core.h"
#include "dfa_error.h"

#define DFA_TOKEN_NAME_MAX 64
#define DFA_TOKEN_SECRET_BYTES 32
/* "NAME." + 43 characters of base64url + NUL */
#define DFA_TOKEN_TEXT_MAX (DFA_TOKEN_NAME_MAX + 1 + 44 + 1)
/* "b2:" + 32 hex + ":" + 64 hex + NUL */
#define DFA_TOKEN_HASH_TEXT_MAX (3 + 32 + 1 + 64 + 1)

typedef enum { DFA_RIGHT_PUBLISH = 1, DFA_RIGHT_READ = 2 } dfa_right;

typedef struct dfa_tokens dfa_tokens;
typedef struct dfa_token dfa_token;

/* Parses a token file's text (len bytes); origin names it in errors
 * ("tokens:3: provinces: \"89\" is not a province of today"). Province codes
 * and reporter roles are checked against core (borrowed only during the
 * call). On success *out holds one reference, the caller's. */
dfa_status dfa_tokens_parse(const char *text, size_t len, const char *origin, const dfa_core *core,
                            dfa_tokens **out, dfa_error *err);
/* dfa_tokens_parse of the file at path. A file that group or others may read
 * is refused: it lets whoever reads it test guesses offline. */
dfa_status dfa_tokens_load(const char *path, const dfa_core *core, dfa_tokens **out, dfa_error *err);

/* References: thread-safe; the last unref frees the table. */
dfa_tokens *dfa_tokens_ref(dfa_tokens *t);
void dfa_tokens_unref(dfa_tokens *t);

size_t dfa_tokens_count(const dfa_tokens *t);
const dfa_token *dfa_tokens_at(const dfa_tokens *t, size_t i);
const dfa_token *dfa_tokens_find(const dfa_tokens *t, const char *name);

/* The token the presented text ("NAME.SECRET") is, or NULL when it is none
 * (unknown name, malformed, wrong secret). Borrowed from t. */
const dfa_token *dfa_tokens_verify(const dfa_tokens *t, const char *presented);

const char *dfa_token_name(const dfa_token *tok);
bool dfa_token_has_right(const dfa_token *tok, dfa_right right);
/* code: a code of today's units ("01"). */
bool dfa_token_allows_province(const dfa_token *tok, const char *code);
bool dfa_token_allows_reporter(const dfa_token *tok, const char *role);
/* The scope as written in the file (for listings): borrowed. */
const char *dfa_token_provinces_text(const dfa_token *tok);
const char *dfa_token_reporters_text(const dfa_token *tok);
const char *dfa_token_rights_text(const dfa_token *tok);

/* A new secret for name: *token gets "NAME.SECRET" to hand out once, *hash
 * the text to store. Both are the caller's buffers. False if name is not
 * 1-64 of [a-z0-9_-]. */
bool dfa_token_generate(const char *name, char token[DFA_TOKEN_TEXT_MAX], char hash[DFA_TOKEN_HASH_TEXT_MAX]);

/* True if name is 1-64 of [a-z0-9_-]. */
bool dfa_token_name_ok(const char *name);

#endif
