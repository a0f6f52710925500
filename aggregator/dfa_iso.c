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
