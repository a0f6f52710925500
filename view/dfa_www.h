/* dfa_www: every file under view/www/ (the ministry's dashboard), compiled
 * into dfa-view at build time by gateway/embed_www.cmake, so the service serves
 * its page with nothing installed beside it and nothing external. */
#ifndef DFA_WWW_H
#define DFA_WWW_H

#include <stddef.h>

#include "dfa_http.h"

/* Paths from the root ("/index.html"); dfa_www_count may be 0. */
extern const dfa_http_file dfa_www_files[];
extern const size_t dfa_www_count;

#endif
