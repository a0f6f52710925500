#include "dfa_totals.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

/* A row kept: its metric asked for, and a total (no breakdown, or only a currency) unless breakdowns. */
static bool keep_row(const dfa_totals_filter *f, const char *row)
{
    const char *bar = strchr(row, '|');
    if (!f->breakdowns && bar && (strncmp(bar, "|cur=", 5) != 0 || strchr(bar + 1, '|')))
        return false;
    if (!f->n_metrics)
        return true;
    size_t len = strcspn(row, "|");
    for (size_t i = 0; i < f->n_metrics; i++)
        if (strlen(f->metrics[i]) == len && strncmp(f->metrics[i], row, len) == 0)
            return true;
    return false;
}

static const json_t *find_unit(const json_t *rollup, const char *unit)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(rollup, "provinces"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "unit")), unit) == 0)
            return p;
    return NULL;
}

/* Rows in sorted order, each with what the catalog says of its metric. */
static json_t *labelled_rows(const json_t *rows, const dfa_core *core, const dfa_totals_filter *f)
{
    json_t *out = json_array();
    const char *row;
    json_t *o;
    void *iter;
    size_t n = json_object_size(rows), k = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    if (!keys)
        return out;
    for (iter = json_object_iter((json_t *)rows); iter; iter = json_object_iter_next((json_t *)rows, iter))
        keys[k++] = json_object_iter_key(iter);
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *x = keys[j];
            keys[j] = keys[j - 1], keys[j - 1] = x;
        }
    for (size_t i = 0; i < k; i++) {
        row = keys[i];
        if (!keep_row(f, row))
            continue;
        o = json_object_get(rows, row);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(row, "|"), row);
        const dfa_metric *m = dfa_catalog_metric(dfa_core_catalog(core), name);
        json_t *x = json_deep_copy(o);
        json_object_set_new(x, "row", json_string(row));
        json_object_set_new(x, "metric", json_string(name));
        json_object_set_new(x, "kind", json_string(m ? dfa_metric_kind_name(m->kind) : ""));
        json_object_set_new(x, "label_vi", json_string(m ? m->label_vi : name));
        json_object_set_new(x, "unit_vi", json_string(m ? m->unit_vi : ""));
        const char *cur = strstr(row, "|cur=");
        if (cur) {
            char code[8];
            snprintf(code, sizeof code, "%.3s", cur + 5);
            json_object_set_new(x, "currency", json_string(code)); /* value in the currency's minor units */
        }
        json_array_append_new(out, x);
    }
    free(keys);
    return out;
}

/* Which provinces declared "không có" for each row (national scope). */
static json_t *declared_none(const json_t *rollup, const dfa_totals_filter *f)
{
    json_t *out = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(rollup, "provinces"), i, p) {
        const char *row;
        json_t *o;
        if (f->scope && strcmp(json_string_value(json_object_get(p, "unit")), f->scope) != 0)
            continue;
        json_object_foreach(json_object_get(p, "rows"), row, o) {
            if (!json_is_true(json_object_get(o, "declared_none")) || !keep_row(f, row))
                continue;
            json_t *list = json_object_get(out, row);
            if (!list)
                json_object_set_new(out, row, list = json_array());
            json_array_append(list, json_object_get(p, "unit"));
        }
    }
    return out;
}

static json_t *header_of(const json_t *rollup)
{
    json_t *doc = json_object();
    static const char *const copied[] = {"period", "first", "last", "as_of", "compared_with", "units"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        json_object_set(doc, copied[i], json_object_get(rollup, copied[i]));
    return doc;
}

json_t *dfa_totals_build(const json_t *rollup, const dfa_core *core, const dfa_totals_filter *f)
{
    const json_t *unit = f->scope ? find_unit(rollup, f->scope) : NULL;
    if (f->scope && !unit)
        return NULL;
    json_t *doc = header_of(rollup);
    json_object_set_new(doc, "schema", json_string("dfa.totals/1"));
    const json_t *nat = json_object_get(rollup, "national"), *cov = json_object_get(nat, "coverage");
    if (unit) {
        json_object_set_new(doc, "scope", json_string(f->scope));
        json_object_set(doc, "name", json_object_get(unit, "name"));
        bool reported = json_is_true(json_object_get(unit, "reported"));
        json_object_set_new(doc, "coverage", json_pack("{s:i,s:i,s:[],s:o}", "reported", reported ? 1 : 0, "of", 1,
                                                       "missing", "declared_none", declared_none(rollup, f)));
        if (!reported)
            json_array_append(json_object_get(json_object_get(doc, "coverage"), "missing"), json_object_get(unit, "unit"));
        json_object_set_new(doc, "metrics", labelled_rows(json_object_get(unit, "rows"), core, f));
        return doc;
    }
    json_object_set_new(doc, "scope", json_string("national"));
    json_object_set_new(doc, "name", json_string("Toàn quốc"));
    json_t *coverage = json_deep_copy(cov);
    json_object_set_new(coverage, "declared_none", declared_none(rollup, f));
    json_object_set_new(doc, "coverage", coverage);
    json_object_set_new(doc, "metrics", labelled_rows(json_object_get(nat, "rows"), core, f));
    if (f->by_province) {
        json_t *list = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(rollup, "provinces"), i, p)
            json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:o}", "unit", json_object_get(p, "unit"), "name",
                                                  json_object_get(p, "name"), "reported", json_object_get(p, "reported"),
                                                  "metrics", labelled_rows(json_object_get(p, "rows"), core, f)));
        json_object_set_new(doc, "provinces", list);
    }
    return doc;
}

static json_t *kept_rows(const json_t *rows, const dfa_totals_filter *f)
{
    json_t *out = json_object();
    const char *row;
    json_t *o;
    json_object_foreach((json_t *)rows, row, o)
        if (keep_row(f, row))
            json_object_set(out, row, o);
    return out;
}

json_t *dfa_totals_select(const json_t *rollup, const dfa_totals_filter *f)
{
    if (f->scope && !find_unit(rollup, f->scope))
        return NULL;
    json_t *doc = header_of(rollup);
    json_object_set(doc, "schema", json_object_get(rollup, "schema"));
    json_object_set_new(doc, "scope", json_string(f->scope ? f->scope : "national"));
    const json_t *nat = json_object_get(rollup, "national");
    json_t *provinces = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(rollup, "provinces"), i, p) {
        bool wanted = f->scope ? strcmp(json_string_value(json_object_get(p, "unit")), f->scope) == 0 : f->by_province;
        if (wanted)
            json_array_append_new(provinces, json_pack("{s:O,s:O,s:O,s:o}", "unit", json_object_get(p, "unit"), "name",
                                                       json_object_get(p, "name"), "reported",
                                                       json_object_get(p, "reported"), "rows",
                                                       kept_rows(json_object_get(p, "rows"), f)));
    }
    json_object_set_new(doc, "national",
                        f->scope ? json_pack("{s:O,s:{}}", "coverage", json_object_get(nat, "coverage"), "rows")
                                 : json_pack("{s:O,s:o}", "coverage", json_object_get(nat, "coverage"), "rows",
                                             kept_rows(json_object_get(nat, "rows"), f)));
    json_object_set_new(doc, "provinces", provinces);
    return doc;
}
