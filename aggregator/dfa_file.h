/* dfa_file: reading a whole file, for the tables and documents the programs
 * load (provinces.csv, earlier snapshot versions). */
#ifndef DFA_FILE_H
#define DFA_FILE_H

#include <stddef.h>

#include "dfa_error.h"

/* Reads the whole file at path into *out, NUL-terminated (the caller frees
 * it); *len (when not NULL) gets its length. DFA_ERR_IO naming the path when
 * it cannot be opened or read. */
dfa_status dfa_file_read(const char *path, char **out, size_t *len, dfa_error *err);

#endif
