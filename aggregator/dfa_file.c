#include "dfa_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
dfa_status dfa_file_read(const char *path, char **out, size_t *len, dfa_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dfa_fail(err, DFA_ERR_IO, "%s: cannot open", path);
    char *buf = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return dfa_fail(err, DFA_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t n = fread(buf + used, 1, 4096, f);
        used += n;
        if (n < 4096)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return dfa_fail(err, DFA_ERR_IO, "%s: read error", path);
    }
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return DFA_OK;
}
