#include "dfa_iso.h"

#include <stdio.h>
#include <string.h>

/* Officially assigned ISO 3166-1 alpha-2 codes, as one string of pairs. */
static const char countries[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFO"
    "FRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJE"
    "JMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMO"
    "MPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPW"
    "PYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTM"
    "TNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/* Active ISO 4217 alphabetic codes, as one string of triples. */
static const char currencies[] =
    "AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBNDBOBBRLBSDBTNBWPBYNBZD"
    "CADCDFCHFCLPCNYCOPCRCCUPCVECZKDJFDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMD"
    "GNFGTQGYDHKDHNLHTGHUFIDRILSINRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZT"
    "LAKLBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMYRMZNNADNGNNIONOKNPR"
    "NZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWFSARSBDSCRSDGSEKSGDSHPSLESOSSRDSSP"
    "STNSVCSYPSZLTHBTJSTMTTNDTOPTRYTTDTWDTZSUAHUGXUSDUYUUZSVESVNDVUVWSTXAFXCDXCG"
    "XOFXPFYERZARZMWZWGXAUXAG";

static bool in_table(const char *table, size_t width, const char *code)
{
    if (strlen(code) != width)
        return false;
    for (size_t i = 0; i < width; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    for (const char *p = table; *p; p += width)
        if (memcmp(p, code, width) == 0)
            return true;
    return false;
}

bool dfa_iso_is_country(const char *code) { return in_table(countries, 2, code); }
bool dfa_iso_is_currency(const char *code) { return in_table(currencies, 3, code); }

int dfa_iso_currency_exponent(const char *code)
{
    static const char zero[] = "BIFCLPDJFGNFISKJPYKMFKRWPYGRWFUGXUYIVNDVUVXAFXOFXPF";
    static const char three[] = "BHDIQDJODKWDLYDOMRTND";
    if (in_table(zero, 3, code))
        return 0;
    if (in_table(three, 3, code))
        return 3;
    return 2;
}

void dfa_iso_format_money(int64_t minor_units, const char *code, char *out, size_t cap)
{
    int exp = dfa_iso_currency_exponent(code);
    int64_t scale = exp == 0 ? 1 : (exp == 2 ? 100 : 1000);
    uint64_t mag = minor_units < 0 ? (uint64_t)0 - (uint64_t)minor_units : (uint64_t)minor_units;
    uint64_t whole = mag / (uint64_t)scale, frac = mag % (uint64_t)scale;
    char digits[32], grouped[48];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)whole);
    size_t g = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    if (exp)
        snprintf(out, cap, "%s%s.%0*llu %s", minor_units < 0 ? "-" : "", grouped, exp, (unsigned long long)frac, code);
    else
        snprintf(out, cap, "%s%s %s", minor_units < 0 ? "-" : "", grouped, code);
}
