/* The botocore sweep: every operation of every spec, as botocore sends it, routed exactly. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "nimbus/errno.h"
#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"
#include "support/router_fixture.h"

TestSuite(router, .init = router_fx_setup, .fini = router_fx_teardown);

/* Operations botocore serializes exactly like another one: nothing in the
 * request tells them apart, so they route to their twin, as in LocalStack. */
static const struct {
    const char *service, *op, *routed_as, *reason;
} known_twins[] = {
    {"s3", "GetBucketLifecycle", "GetBucketLifecycleConfiguration", "deprecated twin: same GET ?lifecycle"},
    {"s3", "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "deprecated twin: same PUT ?lifecycle"},
    {"s3", "GetBucketNotification", "GetBucketNotificationConfiguration", "deprecated twin: same GET ?notification"},
    {"s3", "PutBucketNotification", "PutBucketNotificationConfiguration", "deprecated twin: same PUT ?notification"},
    {"s3", "ListDirectoryBuckets", "ListBuckets",
     "same GET / with its own paging parameters: AWS tells them apart by the s3express-control endpoint"},
};

/* The same requests without their Authorization header must route alike
 * (target, Action, path and host rules, S3 last; an unsigned GET / is S3's ListBuckets). */

typedef struct tally {
    char key[224];
    int total, ok, twins, unsigned_ok;
} tally_t;

/* exact, or the known twin of a deprecated operation */
static bool routed_as(const nb__route_t *rt, int rc, const char *svc, const char *op, const char *proto, bool *twin) {
    const char *got_svc = rt->spec ? rt->spec->service : "-";
    const char *got_op = rt->op ? rt->op->name : "-";
    const char *got_proto = nb__protocol_name(rt->protocol);
    *twin = false;
    if (strcmp(got_svc, svc) != 0 || strcmp(got_proto, proto) != 0)
        return false;
    if (rc == 0 && strcmp(got_op, op) == 0)
        return true;
    for (size_t i = 0; i < sizeof known_twins / sizeof *known_twins && !*twin; i++)
        *twin = strcmp(known_twins[i].service, svc) == 0 && strcmp(known_twins[i].op, op) == 0 &&
                strcmp(known_twins[i].routed_as, got_op) == 0;
    return *twin;
}

static tally_t *tally_get(tally_t *t, size_t *n, size_t cap, const char *key) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].key, key) == 0)
            return &t[i];
    cr_assert_lt(*n, cap);
    memset(&t[*n], 0, sizeof t[*n]);
    snprintf(t[*n].key, sizeof t[*n].key, "%s", key);
    return &t[(*n)++];
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static size_t botocore_protocols(const nb__spec_t *spec) {
    size_t n = 0;
    const nb__protocol_t can[] = {NB_PROTO_QUERY, NB_PROTO_EC2, NB_PROTO_JSON, NB_PROTO_REST_JSON, NB_PROTO_REST_XML};
    for (size_t i = 0; i < sizeof can / sizeof *can; i++)
        n += (spec->protocols & NB_PROTO_BIT(can[i])) != 0;
    return n;
}

Test(router, botocore_sweep_routes_every_operation, .timeout = 240) {
    if (access("/usr/bin/python3", X_OK) != 0)
        cr_skip_test("no /usr/bin/python3 (Debian's python3-botocore is needed)");
    char path[] = "/tmp/nb-router-sweep-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/router/gen_requests.py' --specs '%s/specs' -o '%s'",
             NB_SOURCE_DIR, NB_SOURCE_DIR, path);
    int rc = system(cmd);
    if (rc != 0)
        unlink(path);
    cr_assert_eq(rc, 0, "generator failed: %s", cmd);
    size_t len;
    char *data = read_file(path, &len);
    unlink(path);

    tally_t tallies[64];
    size_t ntallies = 0;
    /* path-style S3 paths by operation, to compare the virtual-host ones with */
    struct {
        char op[128];
        char *path;
    } s3_paths[256];
    size_t ns3 = 0;
    size_t failures = 0, total = 0;
    char *p = data, *end = data + len;
    while (p < end) {
        char svc[64], proto[32], style[16], members[16], op[128];
        size_t n;
        char *eol = memchr(p, '\n', (size_t)(end - p));
        cr_assert_not_null(eol);
        *eol = '\0';
        cr_assert_eq(sscanf(p, "##### %63s %31s %15s %15s %127s %zu", svc, proto, style, members, op, &n), 6,
                     "bad record: %s", p);
        char *raw = eol + 1;
        cr_assert_leq(n, (size_t)(end - raw));
        p = raw + n + 1;
        nb__http_request_t req;
        cr_assert_eq(nb_test_parse_request(raw, n, &req), 0);
        nb__route_t rt;
        int rrc = nb__router_route(router, &req, &rt);
        char key[224];
        snprintf(key, sizeof key, "%s %s%s%s", svc, proto, strcmp(style, "-") ? " " : "", strcmp(style, "-") ? style : "");
        tally_t *t = tally_get(tallies, &ntallies, sizeof tallies / sizeof *tallies, key);
        t->total++;
        total++;
        bool twin;
        char *line_end = memchr(raw, '\n', n);
        int line_len = line_end ? (int)(line_end - raw) : 0;
        if (routed_as(&rt, rrc, svc, op, proto, &twin)) {
            t->ok += !twin;
            t->twins += twin;
        } else {
            failures++;
            cr_log_error("MISROUTED %s %s (%s, %s members): got %s.%s (%s) rc=%d for %.*s", svc, op, key, members,
                         rt.spec ? rt.spec->service : "-", rt.op ? rt.op->name : "-",
                         nb__protocol_name(rt.protocol), rrc, line_len, raw);
        }
        if (strcmp(svc, "s3") == 0 && strcmp(style, "path") == 0 && strcmp(members, "required") == 0 && ns3 < 256) {
            snprintf(s3_paths[ns3].op, sizeof s3_paths[ns3].op, "%s", op);
            s3_paths[ns3++].path = strdup(req.path);
        } else if (strcmp(svc, "s3") == 0 && strcmp(style, "vhost") == 0 && strcmp(members, "required") == 0) {
            char mp[1024];
            const char *got = nb__router_match_path(router, &req, &rt, mp, sizeof mp);
            const char *want = NULL;
            for (size_t i = 0; i < ns3 && want == NULL; i++)
                if (strcmp(s3_paths[i].op, op) == 0)
                    want = s3_paths[i].path;
            if (want == NULL || got == NULL || strcmp(got, want) != 0) {
                failures++;
                cr_log_error("MATCH PATH s3 %s (vhost): %s, path style has %s", op, got ? got : "(null)",
                             want ? want : "(none)");
            }
        }
        nb__headers_remove(&req.headers, "Authorization");
        rrc = nb__router_route(router, &req, &rt);
        if (routed_as(&rt, rrc, svc, op, proto, &twin)) {
            t->unsigned_ok++;
        } else {
            failures++;
            cr_log_error("MISROUTED unsigned %s %s (%s, %s members): got %s.%s (%s) rc=%d for %.*s", svc, op, key,
                         members, rt.spec ? rt.spec->service : "-", rt.op ? rt.op->name : "-",
                         nb__protocol_name(rt.protocol), rrc, line_len, raw);
        }
        nb__http_request_free(&req);
    }
    free(data);
    for (size_t i = 0; i < ns3; i++)
        free(s3_paths[i].path);

    fprintf(stderr, "botocore sweep: %zu requests\n", total);
    for (size_t i = 0; i < ntallies; i++)
        fprintf(stderr, "  %-22s %3d/%3d routed exactly, %d deprecated twins; unsigned: %3d/%3d\n", tallies[i].key,
                tallies[i].ok, tallies[i].total, tallies[i].twins, tallies[i].unsigned_ok, tallies[i].total);

    /* every operation of every spec was generated, once per protocol (S3 twice: path and virtual host),
     * with its required members and with every top-level member */
    for (size_t i = 0; i < router_specs.len; i++) {
        const nb__spec_t *spec = router_specs.items[i];
        size_t want = 2 * spec->nops * botocore_protocols(spec) * (strcmp(spec->service, "s3") == 0 ? 2 : 1);
        int got = 0;
        size_t slen = strlen(spec->service);
        for (size_t j = 0; j < ntallies; j++)
            if (strncmp(tallies[j].key, spec->service, slen) == 0 && tallies[j].key[slen] == ' ')
                got += tallies[j].total;
        cr_expect_eq((size_t)got, want, "%s: %d requests generated, %zu expected", spec->service, got, want);
    }
    cr_assert_eq(failures, 0, "%zu of %zu requests misrouted (see the log)", failures, total);
}
