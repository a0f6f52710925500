#include "dfa_cluster.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfa_array.h"
#include "dfa_log.h"

/* ---- the key slot ----
 * Redis Cluster specification, "Key distribution model" and "Hash tags"
 * (https://redis.io/docs/reference/cluster-spec/): HASH_SLOT = CRC16(key) mod
 * 16384, where CRC16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
 * reflection, no final xor; "123456789" gives 0x31C3, the spec's check value).
 * When the key holds a '{' followed later by a '}' with at least one byte
 * between them, only the bytes between the first '{' and the first '}' after
 * it are hashed. Bit by bit rather than the spec's table: 34 tags a batch,
 * not a hot loop, and nothing to copy wrong. */
static uint16_t crc16_xmodem(const unsigned char *p, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

uint16_t dfa_cluster_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t after = (size_t)(open - key) + 1;
        const char *close = memchr(open + 1, '}', len - after);
        if (close && close > open + 1) /* an empty tag "{}" hashes the whole key */
            return crc16_xmodem((const unsigned char *)open + 1, (size_t)(close - open - 1)) % DFA_CLUSTER_SLOTS;
    }
    return crc16_xmodem((const unsigned char *)key, len) % DFA_CLUSTER_SLOTS;
}

/* ---- what an error reply says ---- */

/* " <slot> <host>:<port>" after MOVED or ASK; the port after the last ':',
 * so an IPv6 host keeps its colons. False when it is not exactly that. */
static bool parse_target(const char *s, dfa_cluster_redirect *out)
{
    char *end;
    if (*s++ != ' ' || *s < '0' || *s > '9')
        return false;
    errno = 0;
    long slot = strtol(s, &end, 10);
    if (errno || *end != ' ' || slot < 0 || slot >= DFA_CLUSTER_SLOTS)
        return false;
    const char *addr = end + 1;
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof out->host || strchr(addr, ' '))
        return false;
    if (colon[1] < '0' || colon[1] > '9')
        return false;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 1 || port > 65535)
        return false;
    out->slot = (uint16_t)slot;
    memcpy(out->host, addr, (size_t)(colon - addr));
    out->host[colon - addr] = '\0';
    out->port = (int)port;
    return true;
}

/* The error's first word is exactly `word` (followed by a space or the end). */
static bool first_word(const char *error, const char *word)
{
    size_t n = strlen(word);
    return strncmp(error, word, n) == 0 && (error[n] == ' ' || error[n] == '\0');
}

dfa_cluster_verdict dfa_cluster_classify(const char *error, dfa_cluster_redirect *out)
{
    dfa_cluster_redirect r = {0};
    if (!error)
        r.verdict = DFA_CLUSTER_OTHER;
    else if (first_word(error, "MOVED"))
        r.verdict = parse_target(error + 5, &r) ? DFA_CLUSTER_MOVED : DFA_CLUSTER_OTHER;
    else if (first_word(error, "ASK"))
        r.verdict = parse_target(error + 3, &r) ? DFA_CLUSTER_ASK : DFA_CLUSTER_OTHER;
    else if (first_word(error, "TRYAGAIN"))
        r.verdict = DFA_CLUSTER_TRYAGAIN;
    else if (first_word(error, "CLUSTERDOWN"))
        r.verdict = DFA_CLUSTER_CLUSTERDOWN;
    if (r.verdict == DFA_CLUSTER_OTHER)
        memset(&r, 0, sizeof r); /* a malformed redirection names nothing */
    if (out)
        *out = r;
    return r.verdict;
}

/* ---- the handle ---- */

/* A node the handle has talked to; kept until the handle is freed, so the
 * connections it hands out stay valid across refreshes. */
typedef struct {
    char host[256];
    int port;
    dfa_redis *redis;
} cluster_node;

/* One slot map, built whole and then swapped in, so a failed refresh leaves
 * the previous one. */
typedef struct {
    size_t n;
    dfa_cluster_master *masters;
    cluster_node **nodes;      /* the node of each master */
    char (*ids)[41];           /* the storage of masters[i].id */
    uint16_t route[DFA_CLUSTER_SLOTS]; /* index + 1 of the slot's master; 0: none */
} cluster_map;

struct dfa_cluster {
    char user[128], password[256];
    int timeout_ms;
    cluster_node **nodes; /* the seeds first, then every node met */
    size_t n_nodes, cap_nodes, n_seeds;
    cluster_map *map;     /* NULL before the first refresh */
    uint64_t refreshes;
    uint64_t round_trips; /* routed pipelines and single commands: the masters of one are sent to together */
};

static void map_free(cluster_map *m)
{
    if (!m)
        return;
    free(m->masters);
    free(m->nodes);
    free(m->ids);
    free(m);
}

static cluster_map *map_new(size_t cap)
{
    cluster_map *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->masters = calloc(cap ? cap : 1, sizeof *m->masters);
    m->nodes = calloc(cap ? cap : 1, sizeof *m->nodes);
    m->ids = calloc(cap ? cap : 1, sizeof *m->ids);
    if (!m->masters || !m->nodes || !m->ids) {
        map_free(m);
        return NULL;
    }
    return m;
}

static cluster_node *find_node(const dfa_cluster *c, const char *host, int port)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i]->port == port && strcmp(c->nodes[i]->host, host) == 0)
            return c->nodes[i];
    return NULL;
}

static dfa_status add_node(dfa_cluster *c, const char *host, int port, cluster_node **out, dfa_error *err)
{
    if (!dfa_array_reserve((void **)&c->nodes, &c->cap_nodes, c->n_nodes + 1, sizeof *c->nodes))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    cluster_node *n = calloc(1, sizeof *n);
    if (!n)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    dfa_status st = dfa_redis_new_at(host, port, c->user, c->password, c->timeout_ms, &n->redis, err);
    if (st != DFA_OK) {
        free(n);
        return st;
    }
    c->nodes[c->n_nodes++] = n;
    *out = n;
    return DFA_OK;
}

static dfa_status node_at(dfa_cluster *c, const char *host, int port, cluster_node **out, dfa_error *err)
{
    *out = find_node(c, host, port);
    return *out ? DFA_OK : add_node(c, host, port, out, err);
}

dfa_status dfa_cluster_node(dfa_cluster *c, const char *host, int port, dfa_redis **out, dfa_error *err)
{
    cluster_node *n;
    dfa_status st = node_at(c, host, port, &n, err);
    *out = st == DFA_OK ? n->redis : NULL;
    return st;
}

/* One seed "host:port" of len bytes; the port after the last ':'. */
static dfa_status add_seed(dfa_cluster *c, const char *s, size_t len, dfa_error *err)
{
    char text[300], *end;
    if (len >= sizeof text)
        return dfa_fail(err, DFA_ERR_CONFIG, "redis cluster seed too long: %.40s...", s);
    memcpy(text, s, len);
    text[len] = '\0';
    char *colon = strrchr(text, ':');
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == text || end == colon + 1 || *end || port < 1 || port > 65535)
        return dfa_fail(err, DFA_ERR_CONFIG, "redis cluster seed \"%s\": want host:port", text);
    *colon = '\0';
    cluster_node *n;
    dfa_status st = find_node(c, text, (int)port) ? DFA_OK : add_node(c, text, (int)port, &n, err);
    c->n_seeds = c->n_nodes;
    return st;
}

static dfa_status add_seeds(dfa_cluster *c, const char *seeds, dfa_error *err)
{
    const char *p = seeds ? seeds : "";
    while (*p) {
        size_t len = strcspn(p, ", ");
        if (len > 0) {
            dfa_status st = add_seed(c, p, len, err);
            if (st != DFA_OK)
                return st;
        }
        p += len;
        p += strspn(p, ", ");
    }
    return c->n_seeds ? DFA_OK : dfa_fail(err, DFA_ERR_CONFIG, "redis cluster: no seed node given");
}

dfa_status dfa_cluster_new_at(const char *seeds, const char *user, const char *password, int timeout_ms,
                              dfa_cluster **out, dfa_error *err)
{
    *out = NULL;
    dfa_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    snprintf(c->user, sizeof c->user, "%s", user ? user : "");
    snprintf(c->password, sizeof c->password, "%s", password ? password : "");
    c->timeout_ms = timeout_ms;
    dfa_status st = add_seeds(c, seeds, err);
    if (st != DFA_OK) {
        dfa_cluster_free(c);
        return st;
    }
    *out = c;
    return DFA_OK;
}

dfa_status dfa_cluster_new(const char *seeds, const dfa_config *cfg, dfa_cluster **out, dfa_error *err)
{
    return dfa_cluster_new_at(seeds, dfa_config_str(cfg, "redis.user"), dfa_config_str(cfg, "redis.password"),
                              (int)dfa_config_int(cfg, "redis.timeout_ms"), out, err);
}

void dfa_cluster_free(dfa_cluster *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_nodes; i++) {
        dfa_redis_free(c->nodes[i]->redis);
        free(c->nodes[i]);
    }
    free(c->nodes);
    map_free(c->map);
    free(c);
}

uint64_t dfa_cluster_refreshes(const dfa_cluster *c) { return c->refreshes; }

/* ---- reading the map: CLUSTER SLOTS ----
 * Each element: [start, end, [host, port, id, ...] of the master, then one
 * such entry per replica that is not failed and whose replication offset
 * gossip reported as other than 0 (Redis 7.0)]. */

static bool is_int(const redisReply *r, long long lo, long long hi)
{
    return r && r->type == REDIS_REPLY_INTEGER && r->integer >= lo && r->integer <= hi;
}

/* The master's index in m for (host, port), added when new. */
static dfa_status master_index(dfa_cluster *c, cluster_map *m, const char *host, int port, const char *id,
                               size_t *out, dfa_error *err)
{
    cluster_node *node;
    dfa_status st = node_at(c, host, port, &node, err);
    if (st != DFA_OK)
        return st;
    for (size_t i = 0; i < m->n; i++)
        if (m->nodes[i] == node) {
            *out = i;
            return DFA_OK;
        }
    m->nodes[m->n] = node;
    snprintf(m->ids[m->n], sizeof m->ids[m->n], "%s", id);
    *out = m->n++;
    return DFA_OK;
}

/* An endpoint left out (NULL, "" or "?": the node does not know how it is
 * reached) means the host that answered, on the port given. */
static const char *endpoint_host(const redisReply *h, const cluster_node *asked)
{
    if (h->type != REDIS_REPLY_STRING || h->len == 0 || strcmp(h->str, "?") == 0)
        return asked->host;
    return h->str;
}

static dfa_status parse_range(dfa_cluster *c, cluster_map *m, const cluster_node *asked, const redisReply *e,
                              dfa_error *err)
{
    const redisReply *who = e->type == REDIS_REPLY_ARRAY && e->elements >= 3 ? e->element[2] : NULL;
    if (!who || !is_int(e->element[0], 0, DFA_CLUSTER_SLOTS - 1) || !is_int(e->element[1], 0, DFA_CLUSTER_SLOTS - 1) ||
        e->element[0]->integer > e->element[1]->integer || who->type != REDIS_REPLY_ARRAY || who->elements < 3 ||
        (who->element[0]->type != REDIS_REPLY_STRING && who->element[0]->type != REDIS_REPLY_NIL) ||
        !is_int(who->element[1], 1, 65535) || who->element[2]->type != REDIS_REPLY_STRING)
        return dfa_fail(err, DFA_ERR_IO, "redis %s:%d: CLUSTER SLOTS: unexpected reply", asked->host, asked->port);
    size_t i;
    dfa_status st = master_index(c, m, endpoint_host(who->element[0], asked), (int)who->element[1]->integer,
                                 who->element[2]->str, &i, err);
    if (st != DFA_OK)
        return st;
    for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++) {
        if (m->route[s])
            return dfa_fail(err, DFA_ERR_IO, "redis %s:%d: CLUSTER SLOTS: slot %lld listed twice", asked->host,
                            asked->port, s);
        m->route[s] = (uint16_t)(i + 1);
    }
    if (e->elements - 3 > m->masters[i].replicas)
        m->masters[i].replicas = e->elements - 3;
    return DFA_OK;
}

/* The same map with its masters in the order of their first slot, so
 * listings do not depend on the order a node happened to answer in, and the
 * public fields filled. Frees m; NULL when out of memory. */
static cluster_map *map_ordered(cluster_map *m)
{
    cluster_map *o = map_new(m->n);
    if (!o) {
        map_free(m);
        return NULL;
    }
    uint16_t rank[DFA_CLUSTER_SLOTS] = {0}; /* index in m -> index in o + 1 */
    for (size_t s = 0; s < DFA_CLUSTER_SLOTS; s++) {
        size_t from = m->route[s];
        if (from && !rank[from - 1]) {
            rank[from - 1] = (uint16_t)++o->n;
            o->masters[o->n - 1].replicas = m->masters[from - 1].replicas;
            o->nodes[o->n - 1] = m->nodes[from - 1];
            memcpy(o->ids[o->n - 1], m->ids[from - 1], sizeof o->ids[0]);
        }
        o->route[s] = from ? rank[from - 1] : 0;
        if (from)
            o->masters[o->route[s] - 1].slots++;
    }
    for (size_t i = 0; i < o->n; i++) {
        o->masters[i].host = o->nodes[i]->host;
        o->masters[i].port = o->nodes[i]->port;
        o->masters[i].id = o->ids[i];
        o->masters[i].redis = o->nodes[i]->redis;
    }
    map_free(m);
    return o;
}

static dfa_status parse_map(dfa_cluster *c, const cluster_node *asked, const redisReply *rep, cluster_map **out,
                            dfa_error *err)
{
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > DFA_CLUSTER_SLOTS)
        return dfa_fail(err, DFA_ERR_IO, "redis %s:%d: CLUSTER SLOTS: more ranges than slots", asked->host, asked->port);
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
        return dfa_fail(err, DFA_ERR_IO, "redis %s:%d: CLUSTER SLOTS: %s", asked->host, asked->port,
                        rep->type == REDIS_REPLY_ERROR ? rep->str : "no slot assigned");
    cluster_map *m = map_new(rep->elements);
    if (!m)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = DFA_OK;
    for (size_t i = 0; st == DFA_OK && i < rep->elements; i++)
        st = parse_range(c, m, asked, rep->element[i], err);
    if (st != DFA_OK) {
        map_free(m);
        return st;
    }
    *out = map_ordered(m);
    return *out ? DFA_OK : dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
}

static dfa_status refresh_from(dfa_cluster *c, cluster_node *node, dfa_error *err)
{
    const char *argv[] = {"CLUSTER", "SLOTS"};
    redisReply *rep = NULL;
    cluster_map *m = NULL;
    dfa_status st = dfa_redis_call(node->redis, argv, 2, &rep, err);
    if (st == DFA_OK)
        st = parse_map(c, node, rep, &m, err);
    freeReplyObject(rep);
    if (st != DFA_OK)
        return st;
    map_free(c->map);
    c->map = m;
    c->refreshes++;
    return DFA_OK;
}

/* Whether node serves slots in the current map. */
static bool is_master(const dfa_cluster *c, const cluster_node *node)
{
    for (size_t i = 0; c->map && i < c->map->n; i++)
        if (c->map->nodes[i] == node)
            return true;
    return false;
}

/* Who is asked, in turn: `first` (the node a MOVED named: it knows it owns
 * the slot), the masters with an open connection, the other masters, then
 * every other node (the seeds). A dead master's connection is closed, so
 * asking the live ones first spares each refresh its reconnection backoff. */
static int ask_rank(const dfa_cluster *c, const cluster_node *n, const cluster_node *first)
{
    if (n == first)
        return 0;
    if (is_master(c, n))
        return dfa_redis_connection_id(n->redis) ? 1 : 2;
    return 3;
}

static dfa_status refresh_asking(dfa_cluster *c, const cluster_node *first, dfa_error *err)
{
    dfa_error last = {0};
    dfa_status st = dfa_fail(&last, DFA_ERR_IO, "redis cluster: no node to ask for the slot map");
    for (int rank = 0; rank <= 3; rank++)
        for (size_t i = 0; i < c->n_nodes; i++) {
            /* c->nodes may grow while a map is parsed: index it afresh each time */
            cluster_node *n = c->nodes[i];
            if (ask_rank(c, n, first) != rank)
                continue;
            st = refresh_from(c, n, &last);
            if (st == DFA_OK)
                return DFA_OK;
            if (st == DFA_ERR_NOMEM)
                return dfa_fail(err, st, "%s", last.msg);
            char why[DFA_ERROR_MSG_MAX + 8];
            dfa_log(DFA_LOG_WARN, "redis_cluster_node_unanswered", "host=%s port=%d why=%s", n->host, n->port,
                    dfa_log_quote(last.msg, why, sizeof why));
        }
    return dfa_fail(err, st, "%s", last.msg);
}

dfa_status dfa_cluster_refresh(dfa_cluster *c, dfa_error *err) { return refresh_asking(c, NULL, err); }

/* ---- lookups ---- */

size_t dfa_cluster_master_count(const dfa_cluster *c) { return c->map ? c->map->n : 0; }

const dfa_cluster_master *dfa_cluster_master_at(const dfa_cluster *c, size_t i)
{
    return c->map && i < c->map->n ? &c->map->masters[i] : NULL;
}

const dfa_cluster_master *dfa_cluster_master_for_slot(const dfa_cluster *c, uint16_t slot)
{
    if (!c->map || slot >= DFA_CLUSTER_SLOTS || !c->map->route[slot])
        return NULL;
    return &c->map->masters[c->map->route[slot] - 1];
}

const dfa_cluster_master *dfa_cluster_master_for_key(const dfa_cluster *c, const char *key, size_t len)
{
    return dfa_cluster_master_for_slot(c, dfa_cluster_slot(key, len));
}

dfa_redis *dfa_cluster_redis_for_key(const dfa_cluster *c, const char *key, size_t len)
{
    const dfa_cluster_master *m = dfa_cluster_master_for_key(c, key, len);
    return m ? m->redis : NULL;
}

static cluster_node *node_for_slot(const dfa_cluster *c, uint16_t slot)
{
    return c->map && c->map->route[slot] ? c->map->nodes[c->map->route[slot] - 1] : NULL;
}

/* ---- one command, redirections followed ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The command (one, in the protocol) on node, after ASKING when asking:
 * both in one round trip, as the spec requires (ASKING holds for the next
 * command only). */
static dfa_status send_once(dfa_cluster *c, cluster_node *node, bool asking, const dfa_resp_span *cmd,
                            redisReply **reply, dfa_error *err)
{
    dfa_resp *b = dfa_resp_new();
    if (!b)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    if (asking) {
        const char *ask[] = {"ASKING"};
        dfa_resp_argv(b, ask, 1);
    }
    dfa_resp_raw(b, cmd->cmd, cmd->len);
    redisReply *replies[2] = {NULL, NULL};
    dfa_status st = dfa_redis_run(node->redis, b, replies, err);
    dfa_resp_free(b);
    c->round_trips++;
    if (asking)
        freeReplyObject(replies[0]); /* +OK: a refusal would show in the command's own reply */
    *reply = replies[asking];
    return st;
}

/* Where the redo goes after a redirection, and whether with ASKING. */
static dfa_status follow(dfa_cluster *c, const dfa_cluster_redirect *r, uint16_t slot, cluster_node *replied,
                         cluster_node **to, bool *asking, dfa_error *err)
{
    dfa_error ignored;
    const char *host = r->host[0] ? r->host : replied->host;
    *asking = r->verdict == DFA_CLUSTER_ASK;
    if (r->verdict == DFA_CLUSTER_MOVED || r->verdict == DFA_CLUSTER_ASK) {
        dfa_status st = node_at(c, host, r->port, to, err);
        /* MOVED is the owner's word for this slot: redo there whatever the
         * refresh finds; the refresh is for the other slots that moved with it */
        if (st == DFA_OK && r->verdict == DFA_CLUSTER_MOVED)
            (void)refresh_asking(c, *to, &ignored);
        return st;
    }
    sleep_ms(100); /* TRYAGAIN, CLUSTERDOWN: a migration or a failover under way */
    (void)refresh_asking(c, NULL, &ignored);
    *to = node_for_slot(c, slot);
    return DFA_OK;
}

static dfa_status first_route(dfa_cluster *c, uint16_t slot, cluster_node **to, dfa_error *err)
{
    *to = node_for_slot(c, slot);
    if (!*to) {
        dfa_status st = dfa_cluster_refresh(c, err);
        if (st != DFA_OK)
            return st;
        *to = node_for_slot(c, slot);
    }
    return *to ? DFA_OK : dfa_fail(err, DFA_ERR_IO, "redis cluster: slot %u has no master", (unsigned)slot);
}

/* Whether a reply is a redirection: then the command was not run. */
static bool redirected(const redisReply *r, dfa_cluster_redirect *out)
{
    return r->type == REDIS_REPLY_ERROR && dfa_cluster_classify(r->str, out) != DFA_CLUSTER_OTHER;
}

/* One command (its protocol bytes; cmd->key names its slot) sent to `to`
 * (after ASKING when asking), redirections followed as dfa_cluster_call says. */
static dfa_status call_from(dfa_cluster *c, cluster_node *to, bool asking, const dfa_resp_span *cmd,
                            redisReply **reply, dfa_error *err)
{
    uint16_t slot = dfa_cluster_slot(cmd->key, cmd->key_len);
    dfa_status st = DFA_OK;
    for (int redirects = 0; st == DFA_OK; redirects++) {
        if (!to)
            return dfa_fail(err, DFA_ERR_IO, "redis cluster: slot %u has no master", (unsigned)slot);
        st = send_once(c, to, asking, cmd, reply, err);
        if (st != DFA_OK) {
            dfa_error ignored;
            (void)refresh_asking(c, NULL, &ignored);
            return st;
        }
        dfa_cluster_redirect r;
        if (!redirected(*reply, &r))
            return DFA_OK;
        if (redirects == DFA_CLUSTER_REDIRECTS_MAX)
            st = dfa_fail(err, DFA_ERR_IO, "redis cluster: slot %u: %s after %d redirections", (unsigned)slot,
                          (*reply)->str, redirects);
        else
            st = follow(c, &r, slot, to, &to, &asking, err);
        freeReplyObject(*reply);
        *reply = NULL;
    }
    return st;
}

dfa_status dfa_cluster_call(dfa_cluster *c, const char *const *argv, size_t argc, size_t key_index,
                            redisReply **reply, dfa_error *err)
{
    *reply = NULL;
    if (key_index >= argc)
        return dfa_fail(err, DFA_ERR_LIMIT, "redis cluster: key index %zu of a %zu-argument command", key_index, argc);
    cluster_node *to;
    dfa_status st = first_route(c, dfa_cluster_slot(argv[key_index], strlen(argv[key_index])), &to, err);
    if (st != DFA_OK)
        return st;
    dfa_resp *b = dfa_resp_new();
    if (!b)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_resp_argv(b, argv, argc);
    size_t pos = 0;
    dfa_resp_span cmd;
    if (dfa_resp_failed(b) || !dfa_resp_next(b, &pos, &cmd))
        st = dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    else {
        cmd.key = argv[key_index], cmd.key_len = strlen(argv[key_index]); /* the key it names, wherever it stands */
        st = call_from(c, to, false, &cmd, reply, err);
    }
    dfa_resp_free(b);
    return st;
}

/* ---- a pipeline, each command to its key's master ---- */

/* The commands of one master in a routed pipeline. */
typedef struct {
    cluster_node *node;
    dfa_resp *cmds;
    size_t *index; /* each command's place in the caller's pipeline */
    size_t n, cap;
    redisReply **replies;
} node_batch;

static void free_batches(node_batch *nb, size_t n)
{
    for (size_t i = 0; nb && i < n; i++) {
        dfa_resp_free(nb[i].cmds);
        free(nb[i].index);
        free(nb[i].replies);
    }
    free(nb);
}

/* Sorts the commands of cmds into one batch per master: nb[m] for the m-th
 * master of the current map. */
static dfa_status split_by_master(dfa_cluster *c, const dfa_resp *cmds, node_batch *nb, dfa_error *err)
{
    size_t pos = 0, i = 0;
    dfa_resp_span cmd;
    for (; dfa_resp_next(cmds, &pos, &cmd); i++) {
        if (!cmd.key)
            return dfa_fail(err, DFA_ERR_LIMIT, "redis cluster: command %zu of a pipeline names no key", i + 1);
        uint16_t slot = dfa_cluster_slot(cmd.key, cmd.key_len);
        if (!c->map->route[slot])
            return dfa_fail(err, DFA_ERR_IO, "redis cluster: slot %u has no master", (unsigned)slot);
        node_batch *b = &nb[c->map->route[slot] - 1];
        if (!b->cmds && !(b->cmds = dfa_resp_new()))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        if (!dfa_array_reserve((void **)&b->index, &b->cap, b->n + 1, sizeof *b->index))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
        b->index[b->n++] = i;
        dfa_resp_raw(b->cmds, cmd.cmd, cmd.len);
        if (dfa_resp_failed(b->cmds))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    }
    return i == dfa_resp_commands(cmds) ? DFA_OK : dfa_fail(err, DFA_ERR_LIMIT, "redis cluster: unreadable pipeline");
}

/* Sends every master its batch, then reads every batch's replies into
 * replies[] at their places: one round trip, the masters in parallel. On a
 * connection error every master sent to is still read, so none owes
 * replies, and the first error is returned. */
static dfa_status exchange_batches(dfa_cluster *c, node_batch *nb, size_t n, redisReply **replies, dfa_error *err)
{
    dfa_status st = DFA_OK;
    size_t sent = 0;
    for (; st == DFA_OK && sent < n; sent++)
        if (nb[sent].n)
            st = dfa_redis_send_resp(nb[sent].node->redis, nb[sent].cmds, err);
    c->round_trips++;
    for (size_t m = 0; m < sent; m++) {
        node_batch *b = &nb[m];
        if (!b->n)
            continue;
        if (!(b->replies = calloc(b->n, sizeof *b->replies)))
            return dfa_fail(err, DFA_ERR_NOMEM, "out of memory"); /* the connection owes replies: the next call drops it */
        dfa_status s = dfa_redis_receive(b->node->redis, b->replies, b->n, st == DFA_OK ? err : NULL);
        if (st == DFA_OK)
            st = s;
        for (size_t k = 0; s == DFA_OK && k < b->n; k++)
            replies[b->index[k]] = b->replies[k];
    }
    return st;
}

/* Each command of batch b that was redirected (so not run) is sent again
 * alone, where it was told to go; its reply replaces the redirection. */
static dfa_status redo_redirected(dfa_cluster *c, node_batch *b, redisReply **replies, dfa_error *err)
{
    size_t pos = 0;
    dfa_resp_span cmd;
    dfa_status st = DFA_OK;
    for (size_t k = 0; st == DFA_OK && k < b->n && dfa_resp_next(b->cmds, &pos, &cmd); k++) {
        redisReply **reply = &replies[b->index[k]];
        dfa_cluster_redirect r;
        if (!redirected(*reply, &r))
            continue;
        cluster_node *to;
        bool asking;
        st = follow(c, &r, dfa_cluster_slot(cmd.key, cmd.key_len), b->node, &to, &asking, err);
        freeReplyObject(*reply);
        *reply = NULL;
        if (st == DFA_OK)
            st = call_from(c, to, asking, &cmd, reply, err);
    }
    return st;
}

dfa_status dfa_cluster_run(dfa_cluster *c, const dfa_resp *cmds, redisReply **replies, dfa_error *err)
{
    size_t n = dfa_resp_commands(cmds);
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    if (dfa_resp_failed(cmds))
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    dfa_status st = c->map ? DFA_OK : dfa_cluster_refresh(c, err);
    if (st != DFA_OK || n == 0)
        return st;
    size_t n_masters = c->map->n;
    node_batch *nb = calloc(n_masters, sizeof *nb);
    if (!nb)
        return dfa_fail(err, DFA_ERR_NOMEM, "out of memory");
    for (size_t m = 0; m < n_masters; m++)
        nb[m].node = c->map->nodes[m];
    st = split_by_master(c, cmds, nb, err);
    if (st == DFA_OK)
        st = exchange_batches(c, nb, n_masters, replies, err);
    for (size_t m = 0; st == DFA_OK && m < n_masters; m++)
        st = redo_redirected(c, &nb[m], replies, err);
    free_batches(nb, n_masters);
    if (st != DFA_OK) {
        for (size_t i = 0; i < n; i++) {
            freeReplyObject(replies[i]);
            replies[i] = NULL;
        }
        dfa_error ignored;
        (void)refresh_asking(c, NULL, &ignored); /* for the next call: a master may be gone */
    }
    return st;
}

uint64_t dfa_cluster_round_trips(const dfa_cluster *c) { return c->round_trips; }

void dfa_cluster_reroute(dfa_cluster *c, const char *error)
{
    dfa_cluster_redirect r;
    dfa_cluster_verdict v = error ? dfa_cluster_classify(error, &r) : DFA_CLUSTER_OTHER;
    if (v != DFA_CLUSTER_MOVED)
        sleep_ms(100); /* ASK, TRYAGAIN, CLUSTERDOWN, a lost node: a migration or a failover under way */
    dfa_error ignored;
    cluster_node *named = NULL;
    if (v == DFA_CLUSTER_MOVED && r.host[0])
        named = find_node(c, r.host, r.port);
    (void)refresh_asking(c, named, &ignored);
}

dfa_status dfa_cluster_scan(dfa_cluster *c, const char *match, dfa_redis_key_fn fn, void *ctx, dfa_error *err)
{
    for (size_t i = 0; i < dfa_cluster_master_count(c); i++) {
        dfa_status st = dfa_redis_scan(c->map->masters[i].redis, match, fn, ctx, err);
        if (st != DFA_OK)
            return st;
    }
    return DFA_OK;
}
