/* dfa-token: the gateway's tokens (auth/dfa_token.h, docs/gateway.md).
 *
 *   dfa-token create NAME --provinces 01 [--reporters R,...] [--rights publish,read]
 *   dfa-token list
 *   dfa-token revoke NAME
 *
 * create prints the token once on stdout and stores only the hash of its
 * secret. The file (gateway.tokens, or --file) is rewritten whole: a new
 * version written beside it (mode 600), then renamed over it, under a lock, so
 * a gateway reloading on SIGHUP never reads half a file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_file.h"
#include "dfa_text.h"
#include "dfa_token.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out, "usage: dfa-token [--file PATH] [--config FILE] [--set key=value]... COMMAND\n"
                 "  create NAME --provinces CODES|* [--reporters ROLES|*] [--rights publish,read]\n"
                 "                 a new token; printed once on stdout, only its hash is kept\n"
                 "  list           every token with its scope (never a secret)\n"
                 "  revoke NAME    removes it; a running dfa-gateway forgets it on SIGHUP\n"
                 "  the file is --file, else gateway.tokens\n");
}

/* The file's text ("" when it does not exist yet); the caller frees it. */
static char *read_tokens_file(const char *path)
{
    char *text = NULL;
    dfa_error err = {0};
    if (access(path, F_OK) != 0)
        return strdup("");
    if (dfa_file_read(path, &text, NULL, &err) != DFA_OK)
        fprintf(stderr, "dfa-token: %s\n", err.msg);
    return text;
}

/* Replaces path with text: written beside it with mode 600, synced, renamed. */
static int write_tokens_file(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "dfa-token: %s: cannot write: %s\n", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        return 1;
    }
    return 0;
}

/* Is the first field of the line `name`? */
static bool line_names(const char *line, size_t len, const char *name)
{
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    size_t n = strlen(name);
    return len > n && strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

static int create_token(const char *path, const char *name, const char *provinces, const char *reporters,
                  const char *rights, const dfa_core *core, const char *text)
{
    char token[DFA_TOKEN_TEXT_MAX], hash[DFA_TOKEN_HASH_TEXT_MAX];
    if (!provinces) {
        fprintf(stderr, "dfa-token: create: --provinces is required (today's codes, or * for all)\n");
        return 2;
    }
    if (!dfa_token_generate(name, token, hash)) {
        fprintf(stderr, "dfa-token: create: name \"%s\" is not 1-64 of [a-z0-9_-]\n", DFA_TEXT_SHOWN(name, 64));
        return 2;
    }
    size_t cap = strlen(text) + strlen(name) + strlen(hash) + strlen(provinces) + strlen(reporters) + strlen(rights) + 16;
    char *out = malloc(cap);
    if (!out)
        return 2;
    size_t n = strlen(text);
    snprintf(out, cap, "%s%s%s\t%s\t%s\t%s\t%s\n", text, n && text[n - 1] != '\n' ? "\n" : "", name, hash, provinces,
             reporters, rights);
    /* the whole new file must parse: the scope is checked, and the name is not already there */
    dfa_tokens *t = NULL;
    dfa_error err = {0};
    int rc = 2;
    if (dfa_tokens_parse(out, strlen(out), path, core, &t, &err) != DFA_OK)
        fprintf(stderr, "dfa-token: create: %s\n", err.msg);
    else if ((rc = write_tokens_file(path, out)) == 0)
        printf("%s\n", token);
    dfa_tokens_unref(t);
    sodium_memzero(token, sizeof token);
    free(out);
    return rc;
}

static int list_tokens(const char *path, const dfa_core *core, const char *text)
{
    dfa_tokens *t = NULL;
    dfa_error err = {0};
    if (dfa_tokens_parse(text, strlen(text), path, core, &t, &err) != DFA_OK) {
        fprintf(stderr, "dfa-token: %s\n", err.msg);
        return 2;
    }
    printf("%-24s %-16s %-32s %s\n", "name", "provinces", "reporters", "rights");
    for (size_t i = 0; i < dfa_tokens_count(t); i++) {
        const dfa_token *tok = dfa_tokens_at(t, i);
        printf("%-24s %-16s %-32s %s\n", dfa_token_name(tok), dfa_token_provinces_text(tok),
               dfa_token_reporters_text(tok), dfa_token_rights_text(tok));
    }
    dfa_tokens_unref(t);
    return 0;
}

static int revoke_token(const char *path, const char *name, const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out)
        return 2;
    size_t o = 0;
    bool found = false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (line_names(p, len, name))
            found = true;
        else
            memcpy(out + o, p, len), o += len;
        p += len;
    }
    out[o] = '\0';
    int rc = 1;
    if (!found)
        fprintf(stderr, "dfa-token: revoke: no token named \"%s\" in %s\n", DFA_TEXT_SHOWN(name, 64), path);
    else if ((rc = write_tokens_file(path, out)) == 0)
        fprintf(stderr, "dfa-token: %s revoked; send SIGHUP to dfa-gateway for it to take effect\n", name);
    free(out);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, 0, 'f'},      {"provinces", required_argument, 0, 'p'},
                                         {"reporters", required_argument, 0, 'r'}, {"rights", required_argument, 0, 'g'},
                                         DFA_CONFIG_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    dfa_config_args args = {0};
    const char *file = NULL, *provinces = NULL, *reporters = "*", *rights = "publish";
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 'p': provinces = optarg; break;
        case 'r': reporters = optarg; break;
        case 'g': rights = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            if (!dfa_config_args_take(&args, c, optarg)) {
                usage(stderr);
                return 2;
            }
        }
    }
    const char *cmd = optind < argc ? argv[optind] : NULL, *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool needs_name = cmd && (strcmp(cmd, "create") == 0 || strcmp(cmd, "revoke") == 0);
    if (!cmd || (needs_name && !name) || (!needs_name && strcmp(cmd, "list") != 0) ||
        argc > optind + (needs_name ? 2 : 1)) {
        usage(stderr);
        return 2;
    }
    dfa_core *core = NULL;
    dfa_config *cfg = dfa_config_startup("dfa-token", &args, environ, &core);
    if (!cfg)
        return 2;
    const char *path = file ? file : dfa_config_str(cfg, "gateway.tokens");
    int rc = 2, lock = -1;
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    char *text = NULL;
    if (!*path)
        fprintf(stderr, "dfa-token: no token file: give --file or set gateway.tokens\n");
    else if ((lock = open(lock_path, O_RDWR | O_CREAT, 0600)) < 0 || flock(lock, LOCK_EX) != 0)
        fprintf(stderr, "dfa-token: %s: cannot lock: %s\n", lock_path, strerror(errno));
    else if ((text = read_tokens_file(path)))
        rc = strcmp(cmd, "create") == 0   ? create_token(path, name, provinces, reporters, rights, core, text)
             : strcmp(cmd, "revoke") == 0 ? revoke_token(path, name, text)
                                          : list_tokens(path, core, text);
    if (lock >= 0)
        close(lock);
    free(text);
    dfa_core_free(core);
    dfa_config_free(cfg);
    return rc;
}
