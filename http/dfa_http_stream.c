#include "dfa_http_stream.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_http_mhd.h"

struct dfa_http_stream {
    pthread_mutex_t lock; /* everything below */
    struct MHD_Connection *conn; /* NULL once the connection let go of the body */
    char *buf;
    size_t off, len, cap, max; /* bytes [off, len) wait to be sent */
    bool suspended, ended, closed;
    int refs;
};

static atomic_ulong overflows;
static atomic_int suspended_now;

/* Called under s->lock: the connection waits for bytes; let it have them. */
static void wake(dfa_http_stream *s)
{
    if (s->suspended && s->conn) {
        s->suspended = false;
        atomic_fetch_sub(&suspended_now, 1);
        MHD_resume_connection(s->conn);
    }
}

static ssize_t read_body(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    dfa_http_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    ssize_t n;
    if (s->closed) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (s->len == s->off) {
        if (s->ended) {
            n = MHD_CONTENT_READER_END_OF_STREAM;
        } else {
            /* nothing to send: out of the poll set until a write wakes it */
            s->suspended = true;
            atomic_fetch_add(&suspended_now, 1);
            MHD_suspend_connection(s->conn);
            n = 0;
        }
    } else {
        size_t k = s->len - s->off < max ? s->len - s->off : max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        if (s->off == s->len)
            s->off = s->len = 0;
        n = (ssize_t)k;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void body_done(void *cls)
{
    dfa_http_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    if (s->suspended)
        atomic_fetch_sub(&suspended_now, 1);
    s->suspended = false;
    s->conn = NULL;
    s->closed = true;
    pthread_mutex_unlock(&s->lock);
    dfa_http_stream_release(s);
}

dfa_http_stream *dfa_http_stream_open(dfa_http_request *req, const char *content_type, size_t max_buffered)
{
    dfa_http_stream *s = calloc(1, sizeof *s);
    if (!s) {
        dfa_http_error(req, 500, "internal", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->conn = dfa_http_mhd_connection(req);
    s->max = max_buffered;
    s->refs = 2;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_body, s, body_done);
    if (!r) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        dfa_http_error(req, 500, "internal", "out of memory");
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    dfa_http_mhd_respond(req, 200, r);
    return s;
}

bool dfa_http_stream_write(dfa_http_stream *s, const char *data, size_t len)
{
    pthread_mutex_lock(&s->lock);
    bool ok = !s->closed && !s->ended;
    if (ok && s->len - s->off >= s->max) { /* what waits is at most max_buffered plus one write */
        s->closed = true; /* the reader ends the body with an error: the client reconnects */
        atomic_fetch_add(&overflows, 1);
        ok = false;
    } else if (ok) {
        if (s->off && s->len + len > s->cap) {
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off;
            s->off = 0;
        }
        if (s->len + len > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + len)
                cap *= 2;
            char *b = realloc(s->buf, cap);
            if (!b) {
                s->closed = true;
                ok = false;
            } else {
                s->buf = b;
                s->cap = cap;
            }
        }
        if (ok) {
            memcpy(s->buf + s->len, data, len);
            s->len += len;
        }
    }
    wake(s);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

bool dfa_http_stream_is_open(dfa_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool open = !s->closed && !s->ended;
    pthread_mutex_unlock(&s->lock);
    return open;
}

void dfa_http_stream_end(dfa_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->ended = true;
    wake(s);
    pthread_mutex_unlock(&s->lock);
}

void dfa_http_stream_release(dfa_http_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

unsigned long dfa_http_stream_overflows(void) { return atomic_load(&overflows); }

void dfa_http_stream_wait_idle(int timeout_ms)
{
    for (int waited = 0; atomic_load(&suspended_now) > 0 && waited < timeout_ms; waited += 10)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
}
