#include "dfa_array.h"

#include <stdlib.h>
#include <string.h>

bool dfa_array_reserve(void **items, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return true;
    size_t c = *cap ? *cap : 8;
    while (c < n)
        c *= 2;
    char *grown = realloc(*items, c * size);
    if (!grown)
        return false;
    memset(grown + *cap * size, 0, (c - *cap) * size);
    *items = grown;
    *cap = c;
    return true;
}
