/* dfa_report: the Vietnamese report a provincial officer sends, rendered from
 * a rollup document (dfa_rollup_build) as Markdown or as a printable HTML page.
 *
 * Both renderings say the same words in the same structure: the title and
 * period, the unit (or "Số liệu toàn quốc" with its coverage), one section per
 * figure family (the catalog's report_sections) with each figure's line, its
 * "trong đó" sub-lines and its comparison with the same period of the year
 * before, the data problems to check, and the table "Bảng số liệu". Numbers,
 * money, percents and dates are written by dfa_format.
 *
 * The HTML is one self-contained page (inline CSS, no external resource) with
 * print rules for A4, so a browser prints it or turns it into a PDF as it is;
 * the live view serves the same function's output. */
#ifndef DFA_REPORT_H
#define DFA_REPORT_H

#include <jansson.h>

#include "dfa_core.h"

/* Both return a string the caller frees with free(), or NULL when out of
 * memory. doc and core are borrowed. */
char *dfa_report_markdown(const json_t *doc, const dfa_core *core);
char *dfa_report_html(const json_t *doc, const dfa_core *core);

#endif
