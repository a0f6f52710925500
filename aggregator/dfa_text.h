/* dfa_text: small text helpers shared by the core: UTF-8 decoding, the
 * diacritic- and case-insensitive folding used to match province names, the
 * character classes of identifiers that may end up inside Redis keys, and the
 * one escaping every error message applies to the input it echoes. */
#ifndef DFA_TEXT_H
#define DFA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Folds a UTF-8 name to a matching key: lower-case ASCII letters and digits
 * only, Vietnamese diacritics removed (precomposed or combining), spaces and
 * hyphens dropped. "Bà Rịa - Vũng Tàu" and "ba ria-vung tau" both give
 * "bariavungtau". Writes at most cap bytes including the NUL into out.
 * Returns false if the input is not valid UTF-8, holds any other character
 * (punctuation, symbols, emoji, letters outside Vietnamese: "Ha Noi;",
 * "H.a.N.o.i"), or the key does not fit. */
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

/* Renders len bytes of untrusted input s (NULs and invalid UTF-8 allowed) for
 * an error message. Whatever s holds, the result is valid UTF-8 without
 * control characters, so a message that echoes input stays one line that
 * cannot pass for other output, and can travel as a JSON string (dfa-check
 * --json, the dead-letter reason):
 *   - '"' and '\' become \" and \\; newline, CR and tab become \n, \r, \t;
 *     other C0 controls, DEL, C1 controls and U+2028/U+2029 become \u00XX
 *     or \u20XX (ESC is \u001b, NUL is \u0000);
 *   - every byte that is not part of a valid UTF-8 character becomes \xNN;
 *   - everything else is copied.
 * The result has no surrounding quotes (callers write them in their format).
 * out is the caller's buffer of cap bytes; nothing is allocated. At most
 * cap - 4 bytes of the rendering are kept: when it needs more, it is cut
 * between two characters (never inside a character or an escape) and "..."
 * marks the cut, so the result always fits in cap with its NUL. A cap below
 * 4 gives "". Returns out, so the call can be an argument of dfa_fail. */
const char *dfa_text_escape(const char *s, size_t len, char *out, size_t cap);

/* True if s is valid UTF-8 holding nothing dfa_text_escape writes as \u or
 * \x escapes (quotes and backslashes allowed): text that is safe to print on
 * a line of its own or to give jansson as it is. */
bool dfa_text_is_plain(const char *s, size_t len);

/* dfa_text_escape of the NUL-terminated text into a compound literal of cap
 * bytes (a constant), which lives until the end of the enclosing block: long
 * enough for the dfa_fail or snprintf it is an argument of. */
#define DFA_TEXT_SHOWN(text, cap) dfa_text_escape((text), strlen(text), (char[cap]){0}, (cap))

/* The length of the longest prefix of s[0..len) that does not end inside a
 * UTF-8 character: for cutting text that is known to be valid UTF-8 until
 * someone truncated it (vsnprintf). */
size_t dfa_text_utf8_prefix(const char *s, size_t len);

#endif
