/* An example department system: publishes three events through the C API,
 * two composed with the builder and one as JSON text, and a fourth that is
 * invalid on purpose, then waits for every delivery report.
 *
 * usage: send_events [--set key=value]...   (e.g. --set kafka.bootstrap.servers=host:9092)
 * Exit 0 when the three valid events were delivered and the invalid one refused. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfa_config.h"
#include "dfa_core.h"
#include "dfa_event_builder.h"
#include "dfa_producer.h"

extern char **environ;

static atomic_int delivered, failed;

static void on_delivery(void *ctx, const char *event_id, uint64_t tag, const char *error)
{
    (void)ctx;
    if (error) {
        atomic_fetch_add(&failed, 1);
        printf("event %s (#%llu): not delivered: %s\n", event_id, (unsigned long long)tag, error);
    } else {
        atomic_fetch_add(&delivered, 1);
        printf("event %s (#%llu): delivered\n", event_id, (unsigned long long)tag);
    }
}

int main(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc, sizeof *sets);
    size_t n_sets = 0;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--set") == 0)
            sets[n_sets++] = argv[i + 1];
    dfa_error err = {0};
    dfa_config *cfg = NULL;
    dfa_core *core = NULL;
    dfa_producer *p = NULL;
    if (dfa_config_load(NULL, environ, sets, n_sets, &cfg, &err) != DFA_OK ||
        dfa_core_open(dfa_config_str(cfg, "catalog"), dfa_config_str(cfg, "provinces"), &core, &err) != DFA_OK ||
        dfa_producer_new(cfg, core, on_delivery, NULL, &p, &err) != DFA_OK) {
        fprintf(stderr, "send_events: %s\n", err.msg);
        return 2;
    }

    dfa_event_builder *b = dfa_event_builder_new("delegation.out.approved", "example-1", "2026-03-02T08:00:00+07:00",
                                                 "Hà Nội", "dept_foreign_affairs");
    dfa_event_builder_set_text(b, "level", "provincial_leaders");
    dfa_event_builder_set_int(b, "members", 6);
    dfa_event_builder_set_countries(b, "countries", (const char *const[]){"JP", "KR"}, 2);
    dfa_event_builder_set_bool(b, "in_plan", true);
    int refused = dfa_producer_send_built(p, b, 1, &err) != DFA_OK;
    dfa_event_builder_free(b);

    b = dfa_event_builder_new("ngo.aid.pledged", "example-2", "2026-03-05T10:30:00+07:00", "Kien Giang",
                              "dept_foreign_affairs");
    dfa_event_builder_set_text(b, "donor_id", "ngo-lotus");
    dfa_event_builder_set_text(b, "form", "project");
    dfa_event_builder_set_text(b, "sector", "health");
    dfa_event_builder_set_money(b, "value", 15000000, "USD");
    refused += dfa_producer_send_built(p, b, 2, &err) != DFA_OK;
    dfa_event_builder_free(b);

    const char *text = "{\"event_id\":\"example-3\",\"type\":\"training.held\",\"occurred_at\":\"2026-03-06T02:00:00Z\","
                       "\"province\":\"79\",\"reporter\":\"dept_foreign_affairs\",\"schema_version\":1,"
                       "\"data\":{\"topic\":\"protocol\",\"participants\":40}}";
    refused += dfa_producer_send_json(p, text, strlen(text), 3, &err) != DFA_OK;

    /* invalid on purpose: members is not a number */
    b = dfa_event_builder_new("delegation.out.approved", "example-4", "2026-03-07T08:00:00+07:00", "01",
                              "dept_foreign_affairs");
    dfa_event_builder_set_text(b, "level", "departments");
    dfa_event_builder_set_text(b, "members", "ba");
    dfa_event_builder_set_countries(b, "countries", (const char *const[]){"LA"}, 1);
    if (dfa_producer_send_built(p, b, 4, &err) != DFA_OK)
        printf("event example-4 (#4): refused: %s\n", err.msg);
    dfa_event_builder_free(b);

    dfa_producer_flush(p, 30000, &err);
    dfa_producer_free(p);
    dfa_core_free(core);
    dfa_config_free(cfg);
    free(sets);
    printf("delivered %d, failed %d, refused before sending %d\n", atomic_load(&delivered), atomic_load(&failed),
           refused + 1);
    return atomic_load(&delivered) == 3 && atomic_load(&failed) == 0 && refused == 0 ? 0 : 1;
}
