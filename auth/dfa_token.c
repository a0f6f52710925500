#include "dfa_token.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dfa_array.h"
#include "dfa_file.h"
#include "dfa_text.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
#define N_CODES 100 /* province codes are two digits */

struct dfa_token {
    char name[DFA_TOKEN_NAME_MAX + 1];
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    bool all_provinces, all_reporters;
    bool provinces[N_CODES];
    char **reporters;
    size_t n_reporters;
    unsigned rights;
    char *provinces_text, *reporters_text, *rights_text;
};

struct dfa_tokens {
    atomic_int refs;
    dfa_token *items;
    size_t n, cap;
};

bool dfa_token_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DFA_TOKEN_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_' && *c != '-')
            return false;
    return true;
}

static void free_token(dfa_token *tok)
{
    for (size_t i = 0; i < tok->n_reporters; i++)
        free(tok->reporters[i]);
    free(tok->reporters);
    free(tok->provinces_text);
    free(tok->reporters_text);
    free(tok->rights_text);
}

dfa_tokens *dfa_tokens_ref(dfa_tokens *t)
{
    atomic_fetch_add(&t->refs, 1);
    return t;
}

void dfa_tokens_unref(dfa_tokens *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    for (size_t i = 0; i < t->n; i++)
        free_token(&t->items[i]);
    sodium_memzero(t->items, t->cap * sizeof *t->items);
    free(t->items);
    free(t);
}

/* "b2:SALT:HASH" into tok's salt and hash */
static bool parse_hash(const char *s, dfa_token *tok)
{
    size_t salt_len, hash_len;
    const char *end;
    if (strncmp(s, "b2:", 3) != 0 || strlen(s) != DFA_TOKEN_HASH_TEXT_MAX - 1 || s[3 + 2 * SALT_BYTES] != ':')
        return false;
    if (sodium_hex2bin(tok->salt, SALT_BYTES, s + 3, 2 * SALT_BYTES, NULL, &salt_len, &end) != 0 ||
        salt_len != SALT_BYTES)
        return false;
    return sodium_hex2bin(tok->hash, HASH_BYTES, s + 4 + 2 * SALT_BYTES, 2 * HASH_BYTES, NULL, &hash_len, &end) == 0 &&
           hash_len == HASH_BYTES;
}

static bool is_current_code(const dfa_core *core, const char *code)
{
    const dfa_provinces *p = dfa_core_provinces(core);
    for (size_t i = 0; i < dfa_provinces_current_count(p); i++)
        if (strcmp(dfa_provinces_current(p, i)->code, code) == 0)
            return true;
    return false;
}

typedef dfa_status (*item_fn)(dfa_token *tok, const char *item, const dfa_core *core, const char *origin,
                              dfa_error *err);

/* Each comma-separated item of list through fn; list is modified. */
static dfa_status each_item(char *list, dfa_token *tok, item_fn fn, const dfa_core *core, const char *origin,
                            dfa_error *err)
{
    char *save = NULL;
    for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        dfa_status st = fn(tok, item, core, origin, err);
        if (st)
            return st;
    }
    return DFA_OK;
}

static dfa_status add_province(dfa_token *tok, const char *item, const dfa_core *core, const char *origin,
                               dfa_error *err)
{
    if (strcmp(item, "*") == 0) {
        tok->all_provinces = true;
        return DFA_OK;
    }
    if (strlen(item) != 2 || !isdigit((unsigned char)item[0]) || !isdigit((unsigned char)item[1]) ||
        !is_current_code(core, item))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: provinces: \"%s\" is not the code of a province of today", origin,
                        DFA_TEXT_SHOWN(item, 16));
    tok->provinces[atoi(item)] = true;
    return DFA_OK;
}

static dfa_status add_reporter(dfa_token *tok, const char *item, const dfa_core *core, const char *origin,
                               dfa_error *err)
{
    if (strcmp(item, "*") == 0) {
        tok->all_reporters = true;
        return DFA_OK;
    }
    if (!dfa_catalog_is_reporter(dfa_core_catalog(core), item))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: reporters: \"%s\" is not a reporter role of the catalog", origin,
                        DFA_TEXT_SHOWN(item, 40));
    char **r = realloc(tok->reporters, (tok->n_reporters + 1) * sizeof *r);
    if (!r)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    tok->reporters = r;
    if (!(r[tok->n_reporters] = strdup(item)))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    tok->n_reporters++;
    return DFA_OK;
}

static dfa_status add_right(dfa_token *tok, const char *item, const dfa_core *core, const char *origin,
                            dfa_error *err)
{
    (void)core;
    if (strcmp(item, "publish") == 0)
        tok->rights |= DFA_RIGHT_PUBLISH;
    else if (strcmp(item, "read") == 0)
        tok->rights |= DFA_RIGHT_READ;
    else
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: rights: \"%s\" is not a right (publish, read)", origin,
                        DFA_TEXT_SHOWN(item, 40));
    return DFA_OK;
}

/* One line's five fields into tok. */
static dfa_status parse_line(char *line, const char *origin, const dfa_core *core, dfa_token *tok, dfa_error *err)
{
    char *fields[6], *save = NULL;
    size_t n = 0;
    for (char *f = strtok_r(line, " \t", &save); f && n < 6; f = strtok_r(NULL, " \t", &save))
        fields[n++] = f;
    if (n != 5)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: expected 5 fields (name, hash, provinces, reporters, rights), got %zu",
                        origin, n);
    if (!dfa_token_name_ok(fields[0]))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: name: \"%s\" is not 1-64 of [a-z0-9_-]", origin,
                        DFA_TEXT_SHOWN(fields[0], 40));
    snprintf(tok->name, sizeof tok->name, "%s", fields[0]);
    if (!parse_hash(fields[1], tok))
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: hash: expected b2:<32 hex digits>:<64 hex digits>", origin);
    if (!(tok->provinces_text = strdup(fields[2])) || !(tok->reporters_text = strdup(fields[3])) ||
        !(tok->rights_text = strdup(fields[4])))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = each_item(fields[2], tok, add_province, core, origin, err);
    if (st == DFA_OK)
        st = each_item(fields[3], tok, add_reporter, core, origin, err);
    if (st == DFA_OK)
        st = each_item(fields[4], tok, add_right, core, origin, err);
    return st;
}

dfa_status dfa_tokens_parse(const char *text, size_t len, const char *origin, const dfa_core *core,
                            dfa_tokens **out, dfa_error *err)
{
    dfa_tokens *t = calloc(1, sizeof *t);
    char *copy = malloc(len + 1);
    if (!t || !copy) {
        free(t);
        free(copy);
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    atomic_init(&t->refs, 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    dfa_status st = DFA_OK;
    char *save = NULL, where[512];
    size_t lineno = 0;
    for (char *p = copy, *line; st == DFA_OK && p; p = save) {
        line = p;
        save = strchr(p, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        snprintf(where, sizeof where, "%s:%zu", origin, lineno);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (strspn(line, " \t\r") == strlen(line))
            continue;
        line[strcspn(line, "\r")] = '\0';
        if (!dfa_array_reserve((void **)&t->items, &t->cap, t->n + 1, sizeof *t->items)) {
            st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
            break;
        }
        dfa_token *tok = &t->items[t->n];
        st = parse_line(line, where, core, tok, err);
        if (st == DFA_OK && dfa_tokens_find(t, tok->name))
            st = dfa_fail(err, DFA_ERR_CONFIG, "%s: name: \"%s\" is given twice", where, tok->name);
        if (st != DFA_OK)
            free_token(tok);
        else
            t->n++;
    }
    sodium_memzero(copy, len);
    free(copy);
    if (st != DFA_OK) {
        dfa_tokens_unref(t);
        return st;
    }
    *out = t;
    return DFA_OK;
}

dfa_status dfa_tokens_load(const char *path, const dfa_core *core, dfa_tokens **out, dfa_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    if (sb.st_mode & 077)
        return dfa_fail(err, DFA_ERR_CONFIG, "%s: readable by group or others (mode %03o): chmod 600 it", path,
                        (unsigned)(sb.st_mode & 0777));
    char *text;
    size_t len;
    dfa_status st = dfa_file_read(path, &text, &len, err);
    if (st != DFA_OK)
        return st;
    st = dfa_tokens_parse(text, len, path, core, out, err);
    sodium_memzero(text, len);
    free(text);
    return st;
}

size_t dfa_tokens_count(const dfa_tokens *t) { return t->n; }
const dfa_token *dfa_tokens_at(const dfa_tokens *t, size_t i) { return &t->items[i]; }

const dfa_token *dfa_tokens_find(const dfa_tokens *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->items[i].name, name) == 0)
            return &t->items[i];
    return NULL;
}

static void hash_secret(const unsigned char *secret, const unsigned char salt[SALT_BYTES],
                        unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, secret, DFA_TOKEN_SECRET_BYTES, salt, SALT_BYTES);
}

const dfa_token *dfa_tokens_verify(const dfa_tokens *t, const char *presented)
{
    const char *dot = strchr(presented, '.');
    if (!dot || dot == presented || (size_t)(dot - presented) > DFA_TOKEN_NAME_MAX)
        return NULL;
    char name[DFA_TOKEN_NAME_MAX + 1];
    snprintf(name, sizeof name, "%.*s", (int)(dot - presented), presented);
    const dfa_token *tok = dfa_tokens_find(t, name);
    unsigned char secret[DFA_TOKEN_SECRET_BYTES], got[HASH_BYTES];
    size_t n = 0;
    const char *end;
    if (!tok || sodium_base642bin(secret, sizeof secret, dot + 1, strlen(dot + 1), NULL, &n, &end,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != sizeof secret || *end)
        return NULL;
    hash_secret(secret, tok->salt, got);
    bool same = sodium_memcmp(got, tok->hash, HASH_BYTES) == 0;
    sodium_memzero(secret, sizeof secret);
    return same ? tok : NULL;
}

const char *dfa_token_name(const dfa_token *tok) { return tok->name; }
bool dfa_token_has_right(const dfa_token *tok, dfa_right right) { return (tok->rights & right) != 0; }

bool dfa_token_allows_province(const dfa_token *tok, const char *code)
{
    if (tok->all_provinces)
        return true;
    return strlen(code) == 2 && isdigit((unsigned char)code[0]) && isdigit((unsigned char)code[1]) &&
           tok->provinces[atoi(code)];
}

bool dfa_token_allows_reporter(const dfa_token *tok, const char *role)
{
    if (tok->all_reporters)
        return true;
    for (size_t i = 0; i < tok->n_reporters; i++)
        if (strcmp(tok->reporters[i], role) == 0)
            return true;
    return false;
}

const char *dfa_token_provinces_text(const dfa_token *tok) { return tok->provinces_text; }
const char *dfa_token_reporters_text(const dfa_token *tok) { return tok->reporters_text; }
const char *dfa_token_rights_text(const dfa_token *tok) { return tok->rights_text; }

bool dfa_token_generate(const char *name, char token[DFA_TOKEN_TEXT_MAX], char hash[DFA_TOKEN_HASH_TEXT_MAX])
{
    if (!dfa_token_name_ok(name) || sodium_init() < 0)
        return false;
    unsigned char secret[DFA_TOKEN_SECRET_BYTES], salt[SALT_BYTES], h[HASH_BYTES];
    randombytes_buf(secret, sizeof secret);
    randombytes_buf(salt, sizeof salt);
    hash_secret(secret, salt, h);
    size_t n = (size_t)snprintf(token, DFA_TOKEN_TEXT_MAX, "%s.", name);
    sodium_bin2base64(token + n, DFA_TOKEN_TEXT_MAX - n, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memcpy(hash, "b2:", 3);
    sodium_bin2hex(hash + 3, 2 * SALT_BYTES + 1, salt, sizeof salt);
    hash[3 + 2 * SALT_BYTES] = ':';
    sodium_bin2hex(hash + 4 + 2 * SALT_BYTES, 2 * HASH_BYTES + 1, h, sizeof h);
    sodium_memzero(secret, sizeof secret);
    return true;
}
