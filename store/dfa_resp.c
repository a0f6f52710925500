#include "dfa_resp.h"

#include <stdlib.h>
#include <string.h>

#include "dfa_text.h"

struct dfa_resp {
    char *data;
    size_t len, cap, commands;
    bool failed;
};

dfa_resp *dfa_resp_new(void) { return calloc(1, sizeof(dfa_resp)); }

void dfa_resp_free(dfa_resp *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}

void dfa_resp_clear(dfa_resp *b)
{
    b->len = b->commands = 0;
    b->failed = false;
}

/* Room for n more bytes; false (and failed) if there cannot be. */
static bool reserve(dfa_resp *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < b->len + n)
        cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd) {
        b->failed = true;
        return false;
    }
    b->data = nd;
    b->cap = cap;
    return true;
}

/* "<mark><n>\r\n", the header of an array or of a bulk string. */
static void header(dfa_resp *b, char mark, size_t n)
{
    if (!reserve(b, 24))
        return;
    b->data[b->len++] = mark;
    b->len += dfa_text_decimal(b->data + b->len, (int64_t)n);
    b->data[b->len++] = '\r';
    b->data[b->len++] = '\n';
}

void dfa_resp_command(dfa_resp *b, size_t argc)
{
    header(b, '*', argc);
    if (!b->failed)
        b->commands++;
}

void dfa_resp_arg(dfa_resp *b, const char *s, size_t len)
{
    header(b, '$', len);
    if (!reserve(b, len + 2))
        return;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len++] = '\r';
    b->data[b->len++] = '\n';
}

void dfa_resp_str(dfa_resp *b, const char *s) { dfa_resp_arg(b, s, strlen(s)); }

void dfa_resp_int(dfa_resp *b, int64_t v)
{
    char digits[24];
    dfa_resp_arg(b, digits, dfa_text_decimal(digits, v));
}

const char *dfa_resp_data(const dfa_resp *b, size_t *len)
{
    *len = b->len;
    return b->data;
}

size_t dfa_resp_commands(const dfa_resp *b) { return b->commands; }
bool dfa_resp_failed(const dfa_resp *b) { return b->failed; }

void dfa_resp_argv(dfa_resp *b, const char *const *argv, size_t argc)
{
    dfa_resp_command(b, argc);
    for (size_t i = 0; i < argc; i++)
        dfa_resp_str(b, argv[i]);
}

/* "<mark><n>\r\n" at *pos of b: n, and *pos past it; -1 when it is not that. */
static long long read_header(const dfa_resp *b, size_t *pos, char mark)
{
    size_t i = *pos;
    if (i >= b->len || b->data[i++] != mark)
        return -1;
    long long n = 0;
    for (; i < b->len && b->data[i] >= '0' && b->data[i] <= '9'; i++)
        n = n * 10 + (b->data[i] - '0');
    if (i + 1 >= b->len || b->data[i] != '\r' || b->data[i + 1] != '\n' || i == *pos + 1)
        return -1;
    *pos = i + 2;
    return n;
}

bool dfa_resp_next(const dfa_resp *b, size_t *pos, dfa_resp_span *out)
{
    size_t i = *pos;
    long long argc = read_header(b, &i, '*');
    if (argc < 1)
        return false;
    *out = (dfa_resp_span){b->data + *pos, 0, NULL, 0};
    for (long long a = 0; a < argc; a++) {
        long long len = read_header(b, &i, '$');
        if (len < 0 || (size_t)len + 2 > b->len - i)
            return false;
        if (a == 1) {
            out->key = b->data + i;
            out->key_len = (size_t)len;
        }
        i += (size_t)len + 2;
    }
    out->len = i - *pos;
    *pos = i;
    return true;
}

void dfa_resp_raw(dfa_resp *b, const char *cmd, size_t len)
{
    if (!reserve(b, len))
        return;
    memcpy(b->data + b->len, cmd, len);
    b->len += len;
    b->commands++;
}
