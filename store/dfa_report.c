#include "dfa_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_buffer.h"
#include "dfa_format.h"

#define LINE_MAX 2048

/* ---- where the words go: Markdown or HTML, the same calls ---- */

typedef struct {
    dfa_buffer b;
    bool html;
} sink;

/* Text as it is (Markdown) or escaped (HTML); table cells escape '|' in Markdown. */
static void put_text(sink *s, const char *t, bool cell)
{
    for (const char *p = t; *p; p++) {
        const char *esc = NULL;
        if (s->html)
            esc = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '"' ? "&quot;" : NULL;
        else if (cell && *p == '|')
            esc = "\\|";
        if (esc)
            dfa_buffer_add(&s->b, esc, strlen(esc));
        else
            dfa_buffer_add(&s->b, p, 1);
    }
}

static void heading(sink *s, int level, const char *t)
{
    if (s->html) {
        dfa_buffer_addf(&s->b, "<h%d>", level);
        put_text(s, t, false);
        dfa_buffer_addf(&s->b, "</h%d>\n", level);
    } else {
        dfa_buffer_addf(&s->b, "%.*s ", level, "######");
        put_text(s, t, false);
        dfa_buffer_addf(&s->b, "\n\n");
    }
}

/* A paragraph; bold in Markdown for the issuer, whom the HTML sets in capitals. */
static void paragraph(sink *s, const char *t, const char *html_class)
{
    bool bold = !s->html && strcmp(html_class, "issuer") == 0;
    if (s->html)
        dfa_buffer_addf(&s->b, "<p class=\"%s\">", html_class);
    dfa_buffer_addf(&s->b, bold ? "**" : "");
    put_text(s, t, false);
    dfa_buffer_addf(&s->b, bold ? "**" : "");
    dfa_buffer_addf(&s->b, s->html ? "</p>\n" : "\n\n");
}

static void list_begin(sink *s)
{
    if (s->html)
        dfa_buffer_addf(&s->b, "<ul>\n");
}

static void list_end(sink *s) { dfa_buffer_addf(&s->b, s->html ? "</ul>\n" : "\n"); }

/* One figure's line and, when it has one, its "trong đó" sub-line. */
static void item(sink *s, const char *t, const char *sub)
{
    dfa_buffer_addf(&s->b, s->html ? "<li>" : "- ");
    put_text(s, t, false);
    if (sub && *sub) {
        dfa_buffer_addf(&s->b, s->html ? "<ul><li>" : "\n  - ");
        put_text(s, sub, false);
        dfa_buffer_addf(&s->b, s->html ? "</li></ul>" : "");
    }
    dfa_buffer_addf(&s->b, s->html ? "</li>\n" : "\n");
}

static void table_row(sink *s, const char *const cells[5], bool head)
{
    static const char *const align[5] = {"", " class=\"n\"", " class=\"n\"", " class=\"n\"", " class=\"n\""};
    if (s->html)
        dfa_buffer_addf(&s->b, "<tr>");
    for (int i = 0; i < 5; i++) {
        if (s->html)
            dfa_buffer_addf(&s->b, "<%s%s>", head ? "th" : "td", align[i]);
        else
            dfa_buffer_addf(&s->b, "| ");
        put_text(s, cells[i], true);
        if (s->html)
            dfa_buffer_addf(&s->b, "</%s>", head ? "th" : "td");
        else
            dfa_buffer_addf(&s->b, " ");
    }
    dfa_buffer_addf(&s->b, s->html ? "</tr>\n" : "|\n");
    if (head && !s->html)
        dfa_buffer_addf(&s->b, "|---|---:|---:|---:|---:|\n");
}

/* ---- words of one figure ---- */

typedef struct {
    const json_t *doc, *rows; /* the scope's rows */
    const dfa_core *core;
    const dfa_catalog *cat;
} scope;

static int64_t int_of(const json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }
static bool flag(const json_t *o, const char *key) { return json_is_true(json_object_get(o, key)); }
static bool negative_stock(const json_t *o) { return json_object_get(o, "problem") != NULL; }

/* "{n} đoàn", or the metric's own wording ("cất bốc {n} bộ"). */
static void phrase(const dfa_metric *m, int64_t n, char *out, size_t cap)
{
    char num[DFA_FORMAT_MAX];
    dfa_format_vi_int(n, num, sizeof num);
    if (!m->phrase_vi) {
        snprintf(out, cap, "%s %s", num, m->unit_vi);
        return;
    }
    const char *at = strstr(m->phrase_vi, "{n}");
    snprintf(out, cap, "%.*s%s%s", (int)(at - m->phrase_vi), m->phrase_vi, num, at + 3);
}

/* An amount of a row: a count with its words, or money in its currency. */
static void amount(const dfa_metric *m, const char *currency, int64_t n, char *out, size_t cap)
{
    if (currency)
        dfa_format_vi_money(n, currency, out, cap);
    else
        phrase(m, n, out, cap);
}

static const char *currency_of(const char *row)
{
    const char *c = strstr(row, "|cur=");
    return c ? c + 5 : NULL;
}

/* "ước 3 đoàn", "không có", "15.000 USD". */
static void value_words(const dfa_metric *m, const char *row, const json_t *o, char *out, size_t cap)
{
    char a[LINE_MAX / 4];
    if (flag(o, "declared_none")) {
        snprintf(out, cap, "không có");
        return;
    }
    amount(m, currency_of(row), int_of(o, "value"), a, sizeof a);
    snprintf(out, cap, "%s%s", flag(o, "estimated") ? "ước " : "", a);
}

static void pct_words(const json_t *pct, char *out, size_t cap)
{
    dfa_format_vi_pct_tenths(dfa_format_tenths(json_number_value(pct)), 1, out, cap);
}

/* The comparison with the same period of the year before, in words:
 * "tăng 26 đoàn (45 thành viên) so với cùng kỳ", "giảm 3 đoàn (60,0%) so với cùng kỳ",
 * "cùng kỳ không phát sinh", "chưa có số liệu cùng kỳ". */
static void change_words(const dfa_metric *m, const char *row, const json_t *o, const dfa_metric *w, const json_t *wo,
                         char *out, size_t cap)
{
    const json_t *prev = json_object_get(o, "previous");
    if (json_is_null(prev) || !prev) {
        snprintf(out, cap, "chưa có số liệu cùng kỳ");
        return;
    }
    int64_t diff = int_of(o, "diff"), p = json_integer_value(prev);
    if (p == 0) {
        snprintf(out, cap, "cùng kỳ không phát sinh");
        return;
    }
    if (diff == 0) {
        snprintf(out, cap, "bằng cùng kỳ");
        return;
    }
    char d[LINE_MAX / 4], extra[LINE_MAX / 4] = "";
    const char *cur = currency_of(row);
    if (cur)
        dfa_format_vi_money(diff < 0 ? -diff : diff, cur, d, sizeof d);
    else
        snprintf(d, sizeof d, "%s %s", dfa_format_vi_int(diff < 0 ? -diff : diff, (char[DFA_FORMAT_MAX]){0}, DFA_FORMAT_MAX),
                 m->unit_vi);
    const json_t *wprev = wo ? json_object_get(wo, "previous") : NULL;
    if (w && wo && json_is_integer(wprev) && !negative_stock(wo)) {
        /* the companion's change beside the main one: "(45 thành viên)", "(giảm 5 thành viên)" */
        int64_t wd = int_of(wo, "diff");
        char wp[LINE_MAX / 4];
        phrase(w, wd < 0 ? -wd : wd, wp, sizeof wp);
        if (wd == 0)
            snprintf(extra, sizeof extra, " (%s bằng cùng kỳ)", w->unit_vi);
        else if ((wd > 0) == (diff > 0))
            snprintf(extra, sizeof extra, " (%s)", wp);
        else
            snprintf(extra, sizeof extra, " (%s %s)", dfa_format_vi_change_word(wd), wp);
    } else if (json_is_number(json_object_get(o, "pct"))) {
        char pct[DFA_FORMAT_MAX];
        pct_words(json_object_get(o, "pct"), pct, sizeof pct);
        snprintf(extra, sizeof extra, " (%s)", pct);
    }
    snprintf(out, cap, "%s %s%s so với cùng kỳ", dfa_format_vi_change_word(diff), d, extra);
}

static void plan_words(const json_t *o, char *out, size_t cap)
{
    out[0] = '\0';
    if (json_is_number(json_object_get(o, "plan_pct"))) {
        char pct[DFA_FORMAT_MAX];
        pct_words(json_object_get(o, "plan_pct"), pct, sizeof pct);
        snprintf(out, cap, ", đạt %s kế hoạch", pct);
    }
}

/* The words of a breakdown value: the catalog's, a country's Vietnamese name, or the value. */
static const char *value_label(const scope *s, const dfa_report_dim *d, const char *value)
{
    for (size_t i = 0; i < d->n_values; i++)
        if (strcmp(d->values[i], value) == 0)
            return d->labels_vi[i];
    if (d->n_values)
        return NULL; /* listed values only */
    const char *country = dfa_catalog_country_vi(s->cat, value);
    return country ? country : value;
}

typedef struct {
    const char *row, *label;
    int64_t value;
    size_t order; /* the catalog's order of listed values; unlisted ones (countries) go by value */
} part;

static int by_order(const void *a, const void *b)
{
    const part *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->value != y->value ? (x->value < y->value ? 1 : -1) : strcmp(x->row, y->row);
}

static size_t order_of(const dfa_report_dim *d, const char *value)
{
    for (size_t i = 0; i < d->n_values; i++)
        if (strcmp(d->values[i], value) == 0)
            return i;
    return 0;
}

/* "Trong đó: trực tiếp 2 hội nghị; trực tuyến 1 hội nghị." for the
 * breakdowns the catalog marks (report_by), of one currency for money,
 * appended to out; *n counts the parts written so far. */
static void sub_parts(const scope *s, const dfa_metric *m, const char *currency, char *out, size_t cap, size_t *n)
{
    for (size_t k = 0; k < m->n_report_by; k++) {
        const dfa_report_dim *d = &m->report_by[k];
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%s|%s=", m->name, d->dim);
        part parts[256];
        size_t np = 0;
        const char *row;
        json_t *o;
        json_object_foreach((json_t *)s->rows, row, o) {
            if (strncmp(row, prefix, strlen(prefix)) != 0 || int_of(o, "value") <= 0 || np == 256)
                continue;
            const char *rest = row + strlen(prefix), *cur = currency_of(row);
            if ((cur == NULL) != (currency == NULL) || (cur && strcmp(cur, currency) != 0))
                continue;
            char value[64];
            snprintf(value, sizeof value, "%.*s", (int)strcspn(rest, "|"), rest);
            const char *label = value_label(s, d, value);
            if (label)
                parts[np++] = (part){row, label, int_of(o, "value"), order_of(d, value)};
        }
        qsort(parts, np, sizeof *parts, by_order);
        for (size_t i = 0; i < np; i++) {
            char a[LINE_MAX / 4];
            const json_t *o2 = json_object_get(s->rows, parts[i].row);
            amount(m, currency, parts[i].value, a, sizeof a);
            size_t used = strlen(out);
            snprintf(out + used, cap - used, "%s%s %s%s", (*n)++ ? "; " : "Trong đó: ", parts[i].label,
                     flag(o2, "estimated") ? "ước " : "", a);
        }
    }
}

static void end_sub(char *out, size_t cap, size_t n)
{
    if (n)
        snprintf(out + strlen(out), cap - strlen(out), ".");
}

/* One figure's line in its section; false when the scope has nothing to say of it. */
static bool figure_line(sink *out, const scope *s, const dfa_metric *m)
{
    char line[LINE_MAX], sub[LINE_MAX] = "", v[LINE_MAX / 2], ch[LINE_MAX / 2], plan[64];
    if (!m->money) {
        const json_t *o = json_object_get(s->rows, m->name);
        if (!o || negative_stock(o))
            return false;
        const dfa_metric *w = m->with ? dfa_catalog_metric(s->cat, m->with) : NULL;
        const json_t *wo = w ? json_object_get(s->rows, w->name) : NULL;
        value_words(m, m->name, o, v, sizeof v);
        int n = snprintf(line, sizeof line, "%s: %s", m->label_vi, v);
        if (wo && !negative_stock(wo) && !flag(o, "declared_none")) {
            char wv[LINE_MAX / 4];
            value_words(w, w->name, wo, wv, sizeof wv);
            n += snprintf(line + n, sizeof line - (size_t)n, " (%s)", wv);
        }
        change_words(m, m->name, o, w, wo, ch, sizeof ch);
        plan_words(o, plan, sizeof plan);
        snprintf(line + n, sizeof line - (size_t)n, ", %s%s.", ch, plan);
        size_t parts = 0;
        sub_parts(s, m, NULL, sub, sizeof sub, &parts);
        end_sub(sub, sizeof sub, parts);
        item(out, line, sub);
        return true;
    }
    /* money: one amount per currency, each with its change, never converted */
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s|cur=", m->name);
    const json_t *declared = json_object_get(s->rows, m->name);
    int n = snprintf(line, sizeof line, "%s: ", m->label_vi);
    bool any = false;
    const char *row;
    json_t *o;
    size_t parts = 0;
    json_object_foreach((json_t *)s->rows, row, o) {
        if (strncmp(row, prefix, strlen(prefix)) != 0 || strchr(row + strlen(prefix), '|') || negative_stock(o))
            continue;
        value_words(m, row, o, v, sizeof v);
        change_words(m, row, o, NULL, NULL, ch, sizeof ch);
        plan_words(o, plan, sizeof plan);
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s, %s%s", any ? "; " : "", v, ch, plan);
        sub_parts(s, m, row + strlen(prefix), sub, sizeof sub, &parts);
        any = true;
    }
    if (!any && declared && flag(declared, "declared_none")) {
        snprintf(line + n, sizeof line - (size_t)n, "không có.");
        item(out, line, NULL);
        return true;
    }
    if (!any)
        return false;
    snprintf(line + n, sizeof line - (size_t)n, ".");
    end_sub(sub, sizeof sub, parts);
    item(out, line, sub);
    return true;
}

/* ---- the table ---- */

static void table_cells(const scope *s, const dfa_metric *m, const char *row, const json_t *o, sink *out)
{
    char label[LINE_MAX / 4], now[LINE_MAX / 4], before[LINE_MAX / 4], change[LINE_MAX / 4], plan[64] = "–";
    const char *cur = currency_of(row);
    if (cur)
        snprintf(label, sizeof label, "%s (%s)", m->label_vi, cur);
    else
        snprintf(label, sizeof label, "%s (%s)", m->label_vi, m->unit_vi);
    char num[DFA_FORMAT_MAX];
#define AMOUNT(n) (cur ? dfa_format_vi_money((n), cur, num, sizeof num) : dfa_format_vi_int((n), num, sizeof num))
    if (flag(o, "declared_none"))
        snprintf(now, sizeof now, "không có");
    else
        snprintf(now, sizeof now, "%s%s", flag(o, "estimated") ? "ước " : "", AMOUNT(int_of(o, "value")));
    const json_t *prev = json_object_get(o, "previous");
    if (!json_is_integer(prev)) {
        snprintf(before, sizeof before, "chưa có số liệu");
        snprintf(change, sizeof change, "–");
    } else {
        int64_t p = json_integer_value(prev), diff = int_of(o, "diff");
        if (flag(o, "previous_declared_none"))
            snprintf(before, sizeof before, "không có");
        else
            snprintf(before, sizeof before, "%s", AMOUNT(p));
        if (diff == 0) {
            snprintf(change, sizeof change, "bằng");
        } else {
            char pct[DFA_FORMAT_MAX] = "";
            if (json_is_number(json_object_get(o, "pct"))) {
                char x[DFA_FORMAT_MAX];
                pct_words(json_object_get(o, "pct"), x, sizeof x);
                snprintf(pct, sizeof pct, " (%s)", x);
            }
            snprintf(change, sizeof change, "%s %s%s", dfa_format_vi_change_word(diff), AMOUNT(diff < 0 ? -diff : diff), pct);
        }
    }
#undef AMOUNT
    if (json_is_number(json_object_get(o, "plan_pct"))) {
        char x[DFA_FORMAT_MAX];
        pct_words(json_object_get(o, "plan_pct"), x, sizeof x);
        snprintf(plan, sizeof plan, "đạt %s", x);
    }
    (void)s;
    const char *cells[5] = {label, now, before, change, plan};
    table_row(out, cells, false);
}

static void table(sink *out, const scope *s)
{
    static const char *const head[5] = {"Chỉ tiêu", "Kỳ này", "Cùng kỳ", "So với cùng kỳ", "Kế hoạch"};
    if (out->html)
        dfa_buffer_addf(&out->b, "<table>\n<thead>");
    table_row(out, head, true);
    if (out->html)
        dfa_buffer_addf(&out->b, "</thead>\n<tbody>\n");
    for (size_t k = 0; k < dfa_catalog_section_count(s->cat); k++) {
        const dfa_report_section *sec = dfa_catalog_section_at(s->cat, k);
        for (size_t i = 0; i < sec->n_metrics; i++) {
            const dfa_metric *m = sec->metrics[i];
            const char *row;
            json_t *o;
            if (!m->money) {
                o = json_object_get(s->rows, m->name);
                if (o && !negative_stock(o))
                    table_cells(s, m, m->name, o, out);
                continue;
            }
            char prefix[80];
            snprintf(prefix, sizeof prefix, "%s|cur=", m->name);
            json_object_foreach((json_t *)s->rows, row, o)
                if (strncmp(row, prefix, strlen(prefix)) == 0 && !strchr(row + strlen(prefix), '|') && !negative_stock(o))
                    table_cells(s, m, row, o, out);
        }
    }
    if (out->html)
        dfa_buffer_addf(&out->b, "</tbody>\n</table>\n");
}

/* ---- data problems ---- */

static void problem_line(sink *out, const scope *s, const char *who, const json_t *p)
{
    const char *row = json_string_value(json_object_get(p, "row")), *kind = json_string_value(json_object_get(p, "kind"));
    char name[64], line[LINE_MAX], a[LINE_MAX / 4];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(row, "|"), row);
    const dfa_metric *m = dfa_catalog_metric(s->cat, name);
    if (!m)
        return;
    amount(m, currency_of(row), int_of(p, "value"), a, sizeof a);
    if (strcmp(kind, "negative_stock") == 0)
        snprintf(line, sizeof line,
                 "%s%s: số dư âm (%s): có sự kiện kết thúc (hết hiệu lực, chấm dứt) không khớp với sự kiện bắt đầu; "
                 "số liệu này không được đưa vào báo cáo.",
                 who, m->label_vi, a);
    else
        snprintf(line, sizeof line,
                 "%s%s: đã báo cáo \"không có\" trong kỳ nhưng các sự kiện ghi nhận %s; cần xác nhận lại hoặc thu hồi báo "
                 "cáo không phát sinh.",
                 who, m->label_vi, a);
    item(out, line, NULL);
}

static void problems(sink *out, const scope *s, bool national)
{
    size_t n = json_array_size(json_object_get(json_object_get(s->doc, national ? "national" : "provinces"), "problems"));
    size_t i;
    json_t *p;
    const json_t *scopes = json_object_get(s->doc, "provinces");
    if (!national)
        n = json_array_size(json_object_get(json_array_get(scopes, 0), "problems"));
    else
        json_array_foreach(scopes, i, p) n += json_array_size(json_object_get(p, "problems"));
    if (!n)
        return;
    heading(out, 2, "Vấn đề về số liệu cần rà soát");
    list_begin(out);
    if (national) {
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(json_object_get(s->doc, "national"), "problems"), k, x)
            problem_line(out, s, "Toàn quốc – ", x);
        json_array_foreach(scopes, i, p) {
            char who[128];
            snprintf(who, sizeof who, "%s – ", json_string_value(json_object_get(p, "name")));
            json_array_foreach(json_object_get(p, "problems"), k, x) problem_line(out, s, who, x);
        }
    } else {
        json_array_foreach(json_object_get(json_array_get(scopes, 0), "problems"), i, p) problem_line(out, s, "", p);
    }
    list_end(out);
}

/* ---- the document ---- */

static void vi_period(const json_t *doc, char *out, size_t cap)
{
    static const char *const roman[] = {"", "I", "II", "III", "IV"};
    const char *id = json_string_value(json_object_get(doc, "period"));
    int y = 0, n = 0, y2 = 0;
    char a[DFA_FORMAT_MAX], b[DFA_FORMAT_MAX];
    dfa_format_vi_iso_date(json_string_value(json_object_get(doc, "first")), a, sizeof a);
    dfa_format_vi_iso_date(json_string_value(json_object_get(doc, "last")), b, sizeof b);
    if (sscanf(id, "M%d-%d", &y, &n) == 2) snprintf(out, cap, "tháng %d năm %d", n, y);
    else if (sscanf(id, "Q%d-%d", &y, &n) == 2 && n >= 1 && n <= 4) snprintf(out, cap, "quý %s năm %d", roman[n], y);
    else if (sscanf(id, "H%d-%d", &y, &n) == 2) snprintf(out, cap, "6 tháng %s năm %d", n == 1 ? "đầu" : "cuối", y);
    else if (sscanf(id, "N%d", &y) == 1) snprintf(out, cap, "9 tháng năm %d", y);
    else if (sscanf(id, "R%d-%d", &y, &y2) == 2) snprintf(out, cap, "giai đoạn %d–%d", y, y2);
    else if (sscanf(id, "Y%d", &y) == 1) snprintf(out, cap, "năm %d", y);
    else if (sscanf(id, "AY%d", &y) == 1) snprintf(out, cap, "năm %d (kỳ báo cáo %s–%s)", y, a, b);
    else if (sscanf(id, "A%d-%d", &y, &n) == 2) snprintf(out, cap, "tháng %d năm %d (kỳ báo cáo %s–%s)", n, y, a, b);
    else snprintf(out, cap, "từ %s đến %s", a, b);
}

/* Title, unit and period, and what the figures cover. */
static void front(sink *out, const scope *s, const json_t *unit, char *title, size_t cap)
{
    const json_t *doc = s->doc, *cmp = json_object_get(doc, "compared_with");
    char period[160], first[DFA_FORMAT_MAX], as_of[DFA_FORMAT_MAX], pa[DFA_FORMAT_MAX], pb[DFA_FORMAT_MAX], line[LINE_MAX];
    vi_period(doc, period, sizeof period);
    dfa_format_vi_iso_date(json_string_value(json_object_get(doc, "first")), first, sizeof first);
    dfa_format_vi_iso_date(json_string_value(json_object_get(doc, "as_of")), as_of, sizeof as_of);
    dfa_format_vi_iso_date(json_string_value(json_object_get(cmp, "first")), pa, sizeof pa);
    dfa_format_vi_iso_date(json_string_value(json_object_get(cmp, "last")), pb, sizeof pb);
    if (!unit) {
        const json_t *cov = json_object_get(json_object_get(doc, "national"), "coverage");
        bool historic = strcmp(json_string_value(json_object_get(doc, "units")), "historic") == 0;
        snprintf(title, cap, "Tổng hợp công tác đối ngoại %s", period);
        heading(out, 1, title);
        int n = snprintf(line, sizeof line,
                         "Số liệu toàn quốc tính đến ngày %s, so sánh với cùng kỳ (%s–%s). Số %s có báo cáo: %lld/%lld.",
                         as_of, pa, pb, historic ? "đơn vị hành chính cấp tỉnh thời kỳ đó" : "tỉnh, thành phố",
                         (long long)int_of(cov, "reported"), (long long)int_of(cov, "of"));
        size_t i;
        json_t *name;
        json_array_foreach(json_object_get(cov, "missing_names"), i, name)
            if (n < (int)sizeof line - 80)
                n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", i ? ", " : " Chưa có báo cáo: ",
                              json_string_value(name));
        if (json_array_size(json_object_get(cov, "missing_names")))
            snprintf(line + n, sizeof line - (size_t)n, ".");
        paragraph(out, line, "scope");
        return;
    }
    const char *name = json_string_value(json_object_get(unit, "name"));
    bool city = strcmp(json_string_value(json_object_get(unit, "kind")), "thanh_pho") == 0;
    const dfa_unit *u = dfa_provinces_by_unit_id(dfa_core_provinces(s->core), json_string_value(json_object_get(unit, "unit")));
    char issuer[160], era[96] = "";
    snprintf(issuer, sizeof issuer, "%s %s", city ? "Thành phố" : "Tỉnh", name);
    if (u && u->has_to) {
        char to[DFA_FORMAT_MAX];
        snprintf(era, sizeof era, " (đơn vị hành chính đến ngày %s)", dfa_format_vi_date(u->valid_to, to, sizeof to));
    }
    paragraph(out, issuer, "issuer");
    snprintf(title, cap, "Báo cáo công tác đối ngoại %s", period);
    heading(out, 1, title);
    snprintf(line, sizeof line, "Số liệu của %s %s%s từ ngày %s đến ngày %s, so sánh với cùng kỳ năm trước (%s–%s).",
             city ? "thành phố" : "tỉnh", name, era, first, as_of, pa, pb);
    paragraph(out, line, "scope");
}

static char *render(const json_t *doc, const dfa_core *core, bool html)
{
    sink out = {.html = html};
    bool national = strcmp(json_string_value(json_object_get(doc, "scope")), "national") == 0;
    const json_t *unit = national ? NULL : json_array_get(json_object_get(doc, "provinces"), 0);
    scope s = {doc, json_object_get(national ? json_object_get(doc, "national") : unit, "rows"), core, dfa_core_catalog(core)};
    char title[256];
    sink front_part = {.html = html};
    front(&front_part, &s, unit, title, sizeof title);
    if (html) {
        dfa_buffer_addf(&out.b, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
        put_text(&out, title, false);
        dfa_buffer_addf(&out.b, "</title>\n<style>\n"
                                "@page { size: A4; margin: 20mm 18mm 20mm 25mm; }\n"
                                "body { font-family: 'Times New Roman', 'Liberation Serif', 'DejaVu Serif', serif; "
                                "font-size: 13pt; line-height: 1.4; color: #000; max-width: 170mm; margin: 0 auto; }\n"
                                "p.issuer { font-weight: bold; text-transform: uppercase; margin: 0 0 8mm; }\n"
                                "h1 { font-size: 15pt; text-align: center; text-transform: uppercase; margin: 0 0 4mm; }\n"
                                "p.scope { text-align: center; font-style: italic; margin: 0 0 6mm; }\n"
                                "h2 { font-size: 13pt; margin: 5mm 0 2mm; }\n"
                                "ul { margin: 0 0 2mm; padding-left: 7mm; } li { margin: 1mm 0; text-align: justify; }\n"
                                "p.empty { font-style: italic; margin: 0 0 2mm 7mm; }\n"
                                "table { width: 100%%; border-collapse: collapse; font-size: 11pt; margin-top: 2mm; }\n"
                                "th, td { border: 0.5pt solid #000; padding: 1mm 1.5mm; vertical-align: top; }\n"
                                "th { background: #eee; } td.n, th.n { text-align: right; white-space: nowrap; }\n"
                                "thead { display: table-header-group; } tr { page-break-inside: avoid; }\n"
                                "h2 { page-break-after: avoid; }\n"
                                "@media print { body { max-width: none; } }\n"
                                "</style>\n</head>\n<body>\n");
    }
    char *f = dfa_buffer_finish(&front_part.b);
    if (f)
        dfa_buffer_add(&out.b, f, strlen(f));
    else
        out.b.failed = true;
    free(f);
    for (size_t k = 0; k < dfa_catalog_section_count(s.cat); k++) {
        const dfa_report_section *sec = dfa_catalog_section_at(s.cat, k);
        char h[160];
        snprintf(h, sizeof h, "%zu. %s", k + 1, sec->title_vi);
        heading(&out, 2, h);
        list_begin(&out);
        size_t lines = 0;
        for (size_t i = 0; i < sec->n_metrics; i++) {
            bool companion = false; /* shown beside its main figure */
            for (size_t j = 0; j < sec->n_metrics; j++)
                companion |= sec->metrics[j]->with && strcmp(sec->metrics[j]->with, sec->metrics[i]->name) == 0 &&
                             json_object_get(s.rows, sec->metrics[j]->name);
            if (!companion)
                lines += figure_line(&out, &s, sec->metrics[i]);
        }
        if (html) {
            dfa_buffer_addf(&out.b, "</ul>\n");
            if (!lines)
                paragraph(&out, "Chưa có số liệu trong kỳ.", "empty");
        } else {
            if (!lines)
                dfa_buffer_addf(&out.b, "Chưa có số liệu trong kỳ.\n");
            dfa_buffer_addf(&out.b, "\n");
        }
    }
    problems(&out, &s, national);
    heading(&out, 2, "Bảng số liệu");
    table(&out, &s);
    if (html)
        dfa_buffer_addf(&out.b, "</body>\n</html>\n");
    return dfa_buffer_finish(&out.b);
}

char *dfa_report_markdown(const json_t *doc, const dfa_core *core) { return render(doc, core, false); }
char *dfa_report_html(const json_t *doc, const dfa_core *core) { return render(doc, core, true); }
