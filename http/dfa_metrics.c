#include "dfa_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_array.h"

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

struct dfa_counter {
    atomic_uint_fast64_t value;
};
struct dfa_gauge {
    atomic_int_fast64_t value;
};
struct dfa_histogram {
    pthread_mutex_t lock;
    double *bounds;
    uint64_t *counts; /* n + 1: the last is +Inf */
    size_t n;
    double sum;
    uint64_t count;
};

typedef struct {
    char *labels;
    void *metric; /* dfa_counter, dfa_gauge or dfa_histogram per the family's kind */
} series;

typedef struct {
    char *name, *help;
    metric_kind kind;
    series *series;
    size_t n_series, cap_series;
} family;

struct dfa_metrics {
    pthread_mutex_t lock;
    family *families;
    size_t n_families, cap_families;
};

dfa_metrics *dfa_metrics_new(void)
{
    dfa_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void free_metric(metric_kind kind, void *metric)
{
    if (kind == KIND_HISTOGRAM && metric) {
        dfa_histogram *h = metric;
        pthread_mutex_destroy(&h->lock);
        free(h->bounds);
        free(h->counts);
    }
    free(metric);
}

void dfa_metrics_free(dfa_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_families; i++) {
        family *f = &m->families[i];
        for (size_t j = 0; j < f->n_series; j++) {
            free(f->series[j].labels);
            free_metric(f->kind, f->series[j].metric);
        }
        free(f->series);
        free(f->name);
        free(f->help);
    }
    free(m->families);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static family *find_family(dfa_metrics *m, const char *name, const char *help, metric_kind kind)
{
    for (size_t i = 0; i < m->n_families; i++)
        if (strcmp(m->families[i].name, name) == 0)
            return m->families[i].kind == kind ? &m->families[i] : NULL;
    if (!dfa_array_reserve((void **)&m->families, &m->cap_families, m->n_families + 1, sizeof *m->families))
        return NULL;
    family *f = &m->families[m->n_families];
    f->name = strdup(name);
    f->help = strdup(help);
    f->kind = kind;
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        memset(f, 0, sizeof *f);
        return NULL;
    }
    m->n_families++;
    return f;
}

static void *new_metric(metric_kind kind, const double *bounds, size_t n)
{
    if (kind == KIND_COUNTER)
        return calloc(1, sizeof(dfa_counter));
    if (kind == KIND_GAUGE)
        return calloc(1, sizeof(dfa_gauge));
    dfa_histogram *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->bounds = malloc((n ? n : 1) * sizeof *h->bounds);
    h->counts = calloc(n + 1, sizeof *h->counts);
    if (!h->bounds || !h->counts) {
        free(h->bounds);
        free(h->counts);
        free(h);
        return NULL;
    }
    memcpy(h->bounds, bounds, n * sizeof *bounds);
    h->n = n;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

/* The series of (name, labels), made the first time it is asked for. */
static void *get_series(dfa_metrics *m, const char *name, const char *help, const char *labels, metric_kind kind,
                        const double *bounds, size_t n)
{
    void *metric = NULL;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name, help, kind);
    if (f) {
        for (size_t j = 0; j < f->n_series && !metric; j++)
            if (strcmp(f->series[j].labels, labels) == 0)
                metric = f->series[j].metric;
        if (!metric &&
            dfa_array_reserve((void **)&f->series, &f->cap_series, f->n_series + 1, sizeof *f->series)) {
            char *l = strdup(labels);
            metric = l ? new_metric(kind, bounds, n) : NULL;
            if (metric)
                f->series[f->n_series++] = (series){l, metric};
            else
                free(l);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return metric;
}

dfa_counter *dfa_metrics_counter(dfa_metrics *m, const char *name, const char *help, const char *labels)
{
    return get_series(m, name, help, labels, KIND_COUNTER, NULL, 0);
}

dfa_gauge *dfa_metrics_gauge(dfa_metrics *m, const char *name, const char *help, const char *labels)
{
    return get_series(m, name, help, labels, KIND_GAUGE, NULL, 0);
}

dfa_histogram *dfa_metrics_histogram(dfa_metrics *m, const char *name, const char *help, const char *labels,
                                     const double *bounds, size_t n)
{
    return get_series(m, name, help, labels, KIND_HISTOGRAM, bounds, n);
}

void dfa_counter_add(dfa_counter *c, uint64_t n)
{
    if (c)
        atomic_fetch_add(&c->value, n);
}

uint64_t dfa_counter_value(const dfa_counter *c) { return c ? atomic_load(&c->value) : 0; }

void dfa_gauge_set(dfa_gauge *g, int64_t v)
{
    if (g)
        atomic_store(&g->value, v);
}

void dfa_histogram_observe(dfa_histogram *h, double v)
{
    if (!h)
        return;
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    pthread_mutex_lock(&h->lock);
    h->counts[i]++;
    h->sum += v;
    h->count++;
    pthread_mutex_unlock(&h->lock);
}

/* --- the text format --- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->failed = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

/* `{labels}` or `{labels,extra}`; nothing when both are empty. */
static void put_labels(text *t, const char *labels, const char *extra)
{
    if (!*labels && !*extra)
        return;
    put(t, "{%s%s%s}", labels, *labels && *extra ? "," : "", extra);
}

static void put_histogram(text *t, const char *name, const char *labels, dfa_histogram *h)
{
    pthread_mutex_lock(&h->lock);
    uint64_t cumulative = 0;
    char le[64];
    for (size_t i = 0; i <= h->n; i++) {
        cumulative += h->counts[i];
        if (i < h->n)
            snprintf(le, sizeof le, "le=\"%g\"", h->bounds[i]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        put(t, "%s_bucket", name);
        put_labels(t, labels, le);
        put(t, " %llu\n", (unsigned long long)cumulative);
    }
    put(t, "%s_sum", name);
    put_labels(t, labels, "");
    put(t, " %.9g\n%s_count", h->sum, name);
    put_labels(t, labels, "");
    put(t, " %llu\n", (unsigned long long)h->count);
    pthread_mutex_unlock(&h->lock);
}

char *dfa_metrics_render(dfa_metrics *m, size_t *len)
{
    static const char *const kinds[] = {"counter", "gauge", "histogram"};
    text t = {.buf = malloc(4096), .cap = 4096};
    if (!t.buf)
        return NULL;
    t.buf[0] = '\0';
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n_families; i++) {
        family *f = &m->families[i];
        put(&t, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, kinds[f->kind]);
        for (size_t j = 0; j < f->n_series; j++) {
            series *s = &f->series[j];
            if (f->kind == KIND_HISTOGRAM) {
                put_histogram(&t, f->name, s->labels, s->metric);
                continue;
            }
            put(&t, "%s", f->name);
            put_labels(&t, s->labels, "");
            if (f->kind == KIND_COUNTER)
                put(&t, " %llu\n", (unsigned long long)atomic_load(&((dfa_counter *)s->metric)->value));
            else
                put(&t, " %lld\n", (long long)atomic_load(&((dfa_gauge *)s->metric)->value));
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    *len = t.len;
    return t.buf;
}
