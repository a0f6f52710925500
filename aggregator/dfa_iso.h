/* dfa_iso: membership tests for ISO 3166-1 alpha-2 country codes and ISO 4217
 * currency codes (the codes officially assigned; upper case only). */
#ifndef DFA_ISO_H
#define DFA_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool dfa_iso_is_country(const char *code);
bool dfa_iso_is_currency(const char *code);

/* Digits after the decimal point of a currency's minor unit (VND 0, USD 2,
 * KWD 3): how an amount in minor units is shown. */
int dfa_iso_currency_exponent(const char *code);

#endif
