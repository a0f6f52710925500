#include "dfa_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s; returns its length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    if (avail == 0)
        return 0;
    unsigned char c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, *cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, *cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, *cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* Whether s is valid UTF-8 holding no code point that refuse() refuses. */
static bool every_code_point(const char *s, size_t len, bool (*refuse)(uint32_t cp))
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    while (len > 0) {
        size_t n = utf8_decode(p, len, &cp);
        if (n == 0 || (refuse && refuse(cp)))
            return false;
        p += n, len -= n;
    }
    return true;
}

bool dfa_text_is_utf8(const char *s, size_t len) { return every_code_point(s, len, NULL); }

/* The escape of one code point that must not reach a message as it is, or
 * NULL: quotes and backslashes could end or fake the quoted text around it,
 * control characters could start a line or drive a terminal. */
static const char *named_escape(uint32_t cp)
{
    switch (cp) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

/* Control characters: C0 (\n, \r and \t have named escapes), DEL, C1, and
 * the line and paragraph separators some viewers break lines at. */
static bool needs_unicode_escape(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

/* Writes the rendering of the character (or invalid byte) at s into piece;
 * returns how many input bytes it stands for. */
static size_t render_one(const unsigned char *s, size_t avail, char piece[8])
{
    uint32_t cp;
    size_t n = utf8_decode(s, avail, &cp);
    if (n == 0) {
        snprintf(piece, 8, "\\x%02x", s[0]);
        return 1;
    }
    const char *named = named_escape(cp);
    if (named)
        snprintf(piece, 8, "%s", named);
    else if (needs_unicode_escape(cp))
        snprintf(piece, 8, "\\u%04x", (unsigned)cp);
    else
        memcpy(piece, s, n), piece[n] = '\0';
    return n;
}

const char *dfa_text_escape(const char *s, size_t len, char *out, size_t cap)
{
    if (cap < 4) {
        if (cap)
            out[0] = '\0';
        return out;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t budget = cap - 4, used = 0;
    while (len > 0) {
        char piece[8];
        size_t n = render_one(p, len, piece), k = strlen(piece);
        if (used + k > budget) {
            memcpy(out + used, "...", 3);
            used += 3;
            break;
        }
        memcpy(out + used, piece, k);
        used += k, p += n, len -= n;
    }
    out[used] = '\0';
    return out;
}

bool dfa_text_is_plain(const char *s, size_t len)
{
    return every_code_point(s, len, needs_unicode_escape); /* every control character, \n too */
}

size_t dfa_text_utf8_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = len;
    while (start > 0 && (p[start - 1] & 0xC0) == 0x80 && len - start < 3)
        start--; /* back to the lead byte of the last character */
    if (start == 0)
        return len;
    uint32_t cp;
    size_t lead = start - 1;
    if (p[lead] < 0xC0)
        return len; /* the text ends with an ASCII byte or stray continuation bytes */
    return utf8_decode(p + lead, len - lead, &cp) == len - lead ? len : lead;
}

/* Every precomposed Vietnamese letter, grouped by the ASCII letter it folds to.
 * Kept as UTF-8 strings so the table reads like the alphabet it encodes. */
static const struct {
    char base;
    const char *letters;
} vietnamese_letters[] = {
    {'a', "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"},
    {'e', "èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆ"},
    {'i', "ìíỉĩịÌÍỈĨỊ"},
    {'o', "òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"},
    {'u', "ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰ"},
    {'y', "ỳýỷỹỵỲÝỶỸỴ"},
    {'d', "đĐ"},
};

/* What separates the words of a name: spaces (also the no-break space pasted
 * from web pages) and hyphens (also the en dash of "Bà Rịa – Vũng Tàu"). */
static bool is_name_separator(uint32_t cp)
{
    return cp == ' ' || cp == '-' || cp == 0xA0 || cp == 0x2010 || cp == 0x2011 || cp == 0x2013;
}

/* The combining diacritics of decomposed (NFD) input: "a" U+0306 U+0301 is "ắ". */
static bool is_combining_mark(uint32_t cp) { return cp >= 0x300 && cp <= 0x36F; }

/* The ASCII letter or digit cp folds to; 0 for a separator or a combining
 * mark, which fold to nothing; -1 for anything else (punctuation, symbols,
 * emoji, control characters, letters of other alphabets), which no name
 * holds: "Ha Noi;" is refused rather than matched. */
static int fold_codepoint(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return (int)(cp - 'A' + 'a');
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        return (int)cp;
    if (is_name_separator(cp) || is_combining_mark(cp))
        return 0;
    for (size_t g = 0; cp >= 0x80 && g < sizeof vietnamese_letters / sizeof vietnamese_letters[0]; g++) {
        const unsigned char *p = (const unsigned char *)vietnamese_letters[g].letters;
        size_t left = strlen((const char *)p);
        uint32_t letter;
        while (left > 0) {
            size_t n = utf8_decode(p, left, &letter);
            if (letter == cp)
                return vietnamese_letters[g].base;
            p += n, left -= n;
        }
    }
    return -1;
}

bool dfa_text_fold(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t left = strlen(in), used = 0;
    while (left > 0) {
        uint32_t cp;
        size_t n = utf8_decode(p, left, &cp);
        if (n == 0)
            return false;
        p += n, left -= n;
        int c = fold_codepoint(cp);
        if (c < 0)
            return false;
        if (c == 0)
            continue;
        if (used + 1 >= cap)
            return false;
        out[used++] = (char)c;
    }
    if (cap == 0)
        return false;
    out[used] = '\0';
    return true;
}

static bool all_in_class(const char *s, size_t max, bool (*ok)(char))
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !ok(s[n]))
            return false;
    return n > 0;
}

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-';
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool dfa_text_is_id(const char *s, size_t max) { return all_in_class(s, max, id_char); }
bool dfa_text_is_name(const char *s, size_t max) { return all_in_class(s, max, name_char); }

size_t dfa_text_decimal(char *out, int64_t v)
{
    char tmp[20];
    size_t n = 0, len = 0;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}
