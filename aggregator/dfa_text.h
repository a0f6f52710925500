/* dfa_text: small text helpers shared by the core: UTF-8 decoding, the
 * diacritic- and case-insensitive folding used to match province names, and
 * the character classes of identifiers that may end up inside Redis keys. */
#ifndef DFA_TEXT_H
#define DFA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Folds a UTF-8 name to a matching key: lower-case ASCII letters and digits
 * only, Vietnamese diacritics removed (precomposed or combining), everything
 * else dropped. "Bà Rịa - Vũng Tàu" and "ba ria-vung tau" both give
 * "bariavungtau". Writes at most cap bytes including the NUL into out.
 * Returns false if the input is not valid UTF-8 or the key does not fit. */
bool dfa_text_fold(const char *in, char *out, size_t cap);

/* True if s is 1..max characters of [A-Za-z0-9._:-] (event ids, refs). */
bool dfa_text_is_id(const char *s, size_t max);

/* True if s is 1..max characters of [a-z0-9_] (catalog names, enum values). */
bool dfa_text_is_name(const char *s, size_t max);

/* Writes v in decimal at out (at most 20 bytes, no NUL); returns how many
 * bytes. For hot paths where printf showed in the profile. */
size_t dfa_text_decimal(char *out, int64_t v);

/* True if s is valid UTF-8 (no overlong forms, no surrogates). */
bool dfa_text_is_utf8(const char *s, size_t len);

#endif
