/* dfa_array: growing the arrays the code keeps of things (items, records,
 * nodes), doubling, so each owner does not write the same realloc again. */
#ifndef DFA_ARRAY_H
#define DFA_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Makes *items (an array of *cap elements of size bytes, NULL at first) hold
 * at least n, doubling from 8; the new elements are zeroed. The array stays
 * the caller's (free it). False, and nothing changed, when out of memory. */
bool dfa_array_reserve(void **items, size_t *cap, size_t n, size_t size);

#endif
