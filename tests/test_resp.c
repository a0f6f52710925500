/* dfa_resp writes the exact RESP bytes; dfa_redis sends them and tallies the
 * replies without reply objects, against a real redis-server (started by
 * cli/test_applier.sh, port in DFA_REDIS_PORT). */
#include "test_support.h"

#include <hiredis/hiredis.h>

#include "dfa_config.h"
#include "dfa_redis.h"
#include "dfa_resp.h"

extern char **environ;

static void test_exact_bytes(void **state)
{
    (void)state;
    dfa_resp *b = dfa_resp_new();
    dfa_resp_command(b, 4);
    dfa_resp_str(b, "HINCRBY");
    dfa_resp_str(b, "dfa:{p:91}:c:M2024-05");
    dfa_resp_arg(b, "f|x@91", 6);
    dfa_resp_int(b, -9223372036854775807LL - 1);
    dfa_resp_command(b, 2);
    dfa_resp_str(b, "ECHO");
    dfa_resp_str(b, "");
    size_t len;
    const char *data = dfa_resp_data(b, &len);
    const char want[] = "*4\r\n$7\r\nHINCRBY\r\n$21\r\ndfa:{p:91}:c:M2024-05\r\n$6\r\nf|x@91\r\n"
                        "$20\r\n-9223372036854775808\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(data, want, len);
    assert_int_equal(dfa_resp_commands(b), 2);
    assert_false(dfa_resp_failed(b));
    dfa_resp_clear(b);
    dfa_resp_command(b, 1);
    dfa_resp_int(b, 0);
    data = dfa_resp_data(b, &len);
    assert_int_equal(len, 11);
    assert_memory_equal(data, "*1\r\n$1\r\n0\r\n", 11);
    assert_int_equal(dfa_resp_commands(b), 1);
    dfa_resp_free(b);
}

static void test_grows_past_its_first_block(void **state)
{
    (void)state;
    dfa_resp *b = dfa_resp_new();
    char big[100000];
    memset(big, 'x', sizeof big);
    dfa_resp_command(b, 1);
    dfa_resp_arg(b, big, sizeof big);
    size_t len;
    const char *data = dfa_resp_data(b, &len);
    assert_int_equal(len, 4 + 9 + sizeof big + 2); /* "*1\r\n", "$100000\r\n", the bytes, "\r\n" */
    assert_memory_equal(data, "*1\r\n$100000\r\nxxx", 16);
    assert_memory_equal(data + len - 3, "x\r\n", 3);
    dfa_resp_free(b);
}

typedef struct {
    dfa_config *cfg;
    dfa_redis *redis;
    dfa_resp *b;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dfa_error err = {0};
    f->cfg = dfa_config_new();
    f->b = dfa_resp_new();
    if (!f->cfg || !f->b || dfa_config_load_env(f->cfg, environ, &err) != DFA_OK ||
        dfa_redis_new(f->cfg, &f->redis, &err) != DFA_OK || dfa_redis_connect(f->redis, &err) != DFA_OK) {
        fprintf(stderr, "redis: %s (set DFA_REDIS_PORT)\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dfa_resp_free(f->b);
    dfa_redis_free(f->redis);
    dfa_config_free(f->cfg);
    free(f);
    return 0;
}

/* Writes one command of up to four arguments into f->b. */
static void cmd(fixture *f, const char *a0, const char *a1, const char *a2, const char *a3)
{
    const char *argv[] = {a0, a1, a2, a3};
    size_t n = 0;
    while (n < 4 && argv[n])
        n++;
    dfa_resp_command(f->b, n);
    for (size_t i = 0; i < n; i++)
        dfa_resp_str(f->b, argv[i]);
}

static dfa_redis_tally send_and_tally(fixture *f)
{
    dfa_error err = {0};
    dfa_redis_tally t;
    if (dfa_redis_send_resp(f->redis, f->b, &err) != DFA_OK ||
        dfa_redis_receive_tally(f->redis, dfa_resp_commands(f->b), &t, &err) != DFA_OK)
        fail_msg("%s", err.msg);
    dfa_resp_clear(f->b);
    return t;
}

static void test_tally_of_plain_replies(void **state)
{
    fixture *f = *state;
    cmd(f, "FLUSHALL", NULL, NULL, NULL);
    cmd(f, "SET", "s", "v", NULL);
    cmd(f, "HINCRBY", "s", "f", "1"); /* wrong type */
    cmd(f, "HINCRBY", "h", "f", "1");
    cmd(f, "GET", "missing", NULL, NULL);
    dfa_redis_tally t = send_and_tally(f);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error_reply, 2);
    assert_int_equal(t.first_error_element, -1);
    assert_string_equal(t.first_error, "WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_int_equal(t.last_type, REDIS_REPLY_NIL);
}

static void test_tally_of_a_transaction(void **state)
{
    fixture *f = *state;
    cmd(f, "MULTI", NULL, NULL, NULL);
    cmd(f, "HINCRBY", "h", "f", "2");
    cmd(f, "HINCRBY", "s", "f", "1"); /* fails inside EXEC; the rest applies */
    cmd(f, "HINCRBY", "h", "f", "3");
    cmd(f, "EXEC", NULL, NULL, NULL);
    dfa_redis_tally t = send_and_tally(f);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error_reply, 4);
    assert_int_equal(t.first_error_element, 1);
    assert_int_equal(t.last_type, REDIS_REPLY_ARRAY);
    assert_int_equal(t.last_elements, 3);
    /* the connection reads ordinary replies again afterwards */
    const char *argv[] = {"HGET", "h", "f"};
    redisReply *r = NULL;
    dfa_error err = {0};
    assert_int_equal(dfa_redis_call(f->redis, argv, 3, &r, &err), DFA_OK);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "6"); /* 1 before, then 2 and 3 */
    freeReplyObject(r);
}

static void test_tally_of_a_refused_transaction(void **state)
{
    fixture *f = *state;
    cmd(f, "WATCH", "h", NULL, NULL);
    send_and_tally(f);
    redisContext *other = redisConnect("127.0.0.1", (int)dfa_config_int(f->cfg, "redis.port"));
    freeReplyObject(redisCommand(other, "HSET h g 1")); /* moves the watched key */
    redisFree(other);
    cmd(f, "MULTI", NULL, NULL, NULL);
    cmd(f, "HINCRBY", "h", "f", "100");
    cmd(f, "EXEC", NULL, NULL, NULL);
    dfa_redis_tally t = send_and_tally(f);
    assert_int_equal(t.errors, 0);
    assert_int_equal(t.last_type, REDIS_REPLY_NIL);
}

int main(void)
{
    const struct CMUnitTest bytes[] = {
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_grows_past_its_first_block),
    };
    const struct CMUnitTest redis[] = {
        cmocka_unit_test(test_tally_of_plain_replies),
        cmocka_unit_test(test_tally_of_a_transaction),
        cmocka_unit_test(test_tally_of_a_refused_transaction),
    };
    int failed = cmocka_run_group_tests_name("resp", bytes, NULL, NULL);
    return failed | cmocka_run_group_tests_name("redis tally", redis, setup, teardown);
}
