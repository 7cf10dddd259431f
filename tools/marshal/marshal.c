/*
 * nimbus-marshal: the marshallers on the command line.
 *
 *   nimbus-marshal parse --spec FILE --operation OP [--protocol P] [--case ID]
 *       raw HTTP/1.1 request on stdin -> canonical JSON of the input on stdout
 *   nimbus-marshal serialize --spec FILE --operation OP [--protocol P] [--case ID]
 *                            [--error SHAPE|CODE] [--status N] [--query-mode]
 *       canonical JSON of the output (or error members) on stdin -> raw HTTP/1.1 response
 *
 *   nimbus-marshal batch --spec FILE
 *       many parses and serializes in one process (the round-trip test): one JSON
 *       object a line on stdin, one answer a line on stdout, in order:
 *         {"cmd":"parse","operation":OP,"protocol":P,"request":BASE64}
 *             -> {"ok":true,"value":CANONICAL}
 *         {"cmd":"serialize","operation":OP,"protocol":P,"value":CANONICAL,
 *          "error":CODE,"status":N,"query_mode":true}   (all but cmd, operation optional)
 *             -> {"ok":true,"response":BASE64}
 *         failures -> {"ok":false,"error":TEXT}
 *
 * FILE is a service-2.json (with the overlay.json beside it applied), or a
 * protocol-test file (one suite, or a list of suites): the case's "given"
 * becomes the operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "http/content_decode.h"
#include "http/message.h"
#include "nimbus/errno.h"
#include "proto/canonical.h"
#include "proto/proto.h"
#include "proto/shape.h"
#include "spec/spec.h"
#include "util/buf.h"
#include "util/codec.h"

static void usage(void) {
    fprintf(stderr, "usage: nimbus-marshal parse|serialize --spec FILE --operation OP [--protocol P] [--case ID]\n"
                    "                      [--error SHAPE|CODE] [--status N] [--query-mode]\n"
                    "       nimbus-marshal batch --spec FILE\n");
}

static char *read_all(FILE *f, size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            char *g = realloc(buf, cap * 2 + 1);
            if (g == NULL) {
                free(buf);
                return NULL;
            }
            buf = g;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The case (by id, else the first whose operation is op) of a suite. */
static const json_t *suite_case(const json_t *suite, const char *case_id, const char *op) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(suite, "cases"), i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(json_object_get(c, "given"), "name"));
        if (case_id ? (id && strcmp(id, case_id) == 0) : (op && name && strcmp(name, op) == 0))
            return c;
    }
    return NULL;
}

static nb__spec_t *load_spec(const char *path, const char *case_id, const char *op_name) {
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        fprintf(stderr, "nimbus-marshal: %s: %s (line %d)\n", path, jerr.text, jerr.line);
        return NULL;
    }
    if (json_is_object(doc) && json_object_get(doc, "operations") && !json_object_get(doc, "cases")) {
        /* a service-2.json: loaded again by the server's own loader, which applies the overlay */
        json_decref(doc);
        char *err = NULL;
        nb__spec_t *spec = nb__spec_load(path, NULL, &err);
        if (spec == NULL) {
            fprintf(stderr, "nimbus-marshal: %s: %s\n", path, err ? err : "bad spec");
            free(err);
        }
        return spec;
    }
    json_t *suite = NULL;
    if (json_is_array(doc)) {
        size_t i;
        json_t *s;
        json_array_foreach(doc, i, s) if (suite_case(s, case_id, op_name)) {
            suite = s;
            break;
        }
        if (suite == NULL) {
            fprintf(stderr, "nimbus-marshal: %s: no suite has case %s\n", path, case_id ? case_id : op_name);
            json_decref(doc);
            return NULL;
        }
        json_incref(suite);
        json_decref(doc);
    } else {
        suite = doc;
    }
    char *err = NULL;
    nb__spec_t *spec = nb__spec_from_json(suite, NULL, &err);
    if (spec == NULL) {
        fprintf(stderr, "nimbus-marshal: %s: %s\n", path, err ? err : "bad spec");
        free(err);
        return NULL;
    }
    const json_t *c = suite_case(spec->root, case_id, op_name);
    if (c == NULL && case_id) {
        fprintf(stderr, "nimbus-marshal: %s: no case %s\n", path, case_id);
        nb__spec_free(spec);
        return NULL;
    }
    if (c && nb__spec_add_op(spec, json_object_get(c, "given")) == NULL) {
        fprintf(stderr, "nimbus-marshal: %s: bad operation in case\n", path);
        nb__spec_free(spec);
        return NULL;
    }
    return spec;
}

/* Request line, headers, blank line, body (Content-Length bytes, else to EOF). */
static int parse_raw_request(char *raw, size_t len, nb__http_request_t *req) {
    memset(req, 0, sizeof *req);
    char *end = strstr(raw, "\r\n\r\n");
    size_t sep = 4;
    char *lf = strstr(raw, "\n\n");
    if (end == NULL || (lf && lf < end)) {
        end = lf;
        sep = 2;
    }
    char *body = end ? end + sep : raw + len;
    if (end)
        *end = '\0';
    char *save = NULL;
    char *line = strtok_r(raw, "\n", &save);
    if (line == NULL)
        return -1;
    line[strcspn(line, "\r")] = '\0';
    char *sp1 = strchr(line, ' ');
    if (sp1 == NULL)
        return -1;
    *sp1 = '\0';
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (sp2)
        *sp2 = '\0';
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0) {
        char *slash = strchr(strstr(target, "//") + 2, '/');
        target = slash ? slash : "/";
    }
    req->method = strdup(line);
    req->target = strdup(target);
    char *q = strchr(target, '?');
    req->path = q ? strndup(target, (size_t)(q - target)) : strdup(target);
    req->query = q ? strdup(q + 1) : NULL;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        line[strcspn(line, "\r")] = '\0';
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        nb__headers_addn(&req->headers, line, (size_t)(colon - line), v, vl);
    }
    size_t blen = (size_t)(raw + len - body);
    const char *cl = nb__headers_get(&req->headers, "Content-Length");
    if (cl) {
        size_t want = strtoull(cl, NULL, 10);
        if (want < blen)
            blen = want;
    }
    req->body = nb__body_from_mem(body, blen);
    return req->method && req->path && req->body ? 0 : -1;
}

/* Largest body a request decodes to here (the gateway holds it to the operation's limit). */
#define MARSHAL_MAX_DECODED (64ull << 20)

/* raw (modified in place) -> canonical JSON of the input (*out, new reference).
 * On failure returns 1 and a malloc'd message in *why. */
static int do_parse(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, char *raw, size_t len,
                    json_t **out, char **why) {
    *out = NULL;
    nb__http_request_t req;
    if (parse_raw_request(raw, len, &req) != 0) {
        nb__http_request_free(&req);
        *why = strdup("nimbus-marshal: malformed HTTP request");
        return 1;
    }
    nb_body_t *decoded = NULL; /* a gzip'd body decoded first, as the gateway does */
    if (!op->streaming_input && nb__content_decode(&req, MARSHAL_MAX_DECODED, &decoded) != 0) {
        nb__http_request_free(&req);
        *why = strdup("nimbus-marshal: the body does not decode as its Content-Encoding says");
        return 1;
    }
    nb__headers_t left;
    if (decoded && nb__content_decoded_headers(&req.headers, &left) == 0) {
        nb__body_free(req.body);
        req.body = decoded;
        nb__headers_free(&req.headers);
        req.headers = left;
    } else if (decoded) {
        nb__body_free(decoded);
        nb__http_request_free(&req);
        *why = strdup("nimbus-marshal: out of memory");
        return 1;
    }
    json_t *input = NULL;
    nb__aws_error_t err = {0};
    int rc = nb__proto_parse(spec, op, proto, &req, &input, &err);
    nb__http_request_free(&req);
    if (rc != 0) {
        if (asprintf(why, "%s (%d): %s", err.code ? err.code : "error", err.status,
                     err.message ? err.message : "") < 0)
            *why = NULL;
        nb__aws_error_clear(&err);
        json_decref(input);
        return 1;
    }
    *out = nb__canonical_from_value(spec, op->input, input);
    json_decref(input);
    if (*out == NULL) {
        *why = strdup("nimbus-marshal: out of memory");
        return 1;
    }
    return 0;
}

static void format_response(const nb__http_response_t *resp, nb__buf_t *out) {
    nb__buf_printf(out, "HTTP/1.1 %d %s\r\n", resp->status, nb__http_reason(resp->status));
    for (size_t i = 0; i < resp->headers.len; i++)
        nb__buf_printf(out, "%s: %s\r\n", resp->headers.items[i].name, resp->headers.items[i].value);
    int64_t blen = resp->stream ? nb__body_size(resp->stream) : (int64_t)resp->body.len;
    if (!nb__headers_get(&resp->headers, "Content-Length"))
        nb__buf_printf(out, "Content-Length: %lld\r\n", (long long)(resp->no_body ? 0 : blen));
    nb__buf_puts(out, "\r\n");
    if (resp->no_body)
        return;
    if (resp->stream) {
        char buf[65536];
        int64_t off = 0;
        ssize_t n;
        while ((n = nb__body_read(resp->stream, off, buf, sizeof buf)) > 0) {
            nb__buf_append(out, buf, (size_t)n);
            off += n;
        }
    } else if (resp->body.len) {
        nb__buf_append(out, resp->body.data, resp->body.len);
    }
}

/* The error shape for a code: a shape of that name, else one whose error trait has that code. */
static const json_t *error_shape(const nb__spec_t *spec, const char *code) {
    const json_t *s = nb__spec_shape(spec, code);
    if (s)
        return s;
    const char *name;
    json_t *sh;
    json_object_foreach((json_t *)spec->shapes, name, sh) {
        const char *c = json_string_value(json_object_get(json_object_get(sh, "error"), "code"));
        if (c && strcmp(c, code) == 0)
            return sh;
    }
    return NULL;
}

/* canonical JSON of the output or error members (borrowed, may be NULL) -> the raw
 * HTTP response appended to out. On failure returns 1 and a malloc'd message in *why. */
static int do_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto,
                        const json_t *canon, const char *error, int status, bool query_mode, nb__buf_t *out,
                        char **why) {
    const json_t *shape = error ? error_shape(spec, error) : op->output;
    char *cerr = NULL;
    json_t *value = canon ? nb__canonical_to_value(spec, shape, canon, &cerr) : NULL;
    if (canon && value == NULL) {
        if (asprintf(why, "nimbus-marshal: %s", cerr ? cerr : "bad value") < 0)
            *why = NULL;
        free(cerr);
        return 1;
    }
    nb__proto_ctx_t ctx = {.request_id = "00000000-0000-4000-8000-000000000000", .query_mode = query_mode};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    int rc;
    if (error) {
        nb__aws_error_t err = {0};
        const char *msg = NULL;
        const char *mkey = NULL;
        const char *k;
        json_t *v;
        json_object_foreach(value, k, v) if (strcasecmp(k, "message") == 0 && json_is_string(v)) {
            msg = json_string_value(v);
            mkey = k;
        }
        if (msg)
            nb__aws_error_set(&err, spec, op, error, status, "%s", msg);
        else
            nb__aws_error_set(&err, spec, op, error, status, NULL);
        if (json_is_object(value)) {
            err.fields = json_deep_copy(value);
            if (mkey)
                json_object_del(err.fields, mkey);
        }
        rc = nb__proto_serialize_error(spec, op, proto, &err, &ctx, &resp);
        nb__aws_error_clear(&err);
    } else {
        rc = nb__proto_serialize(spec, op, proto, value, NULL, &ctx, &resp);
    }
    json_decref(value);
    if (rc != 0) {
        if (asprintf(why, "nimbus-marshal: serialize failed (%d)", rc) < 0)
            *why = NULL;
        nb__http_response_free(&resp);
        return 1;
    }
    format_response(&resp, out);
    nb__http_response_free(&resp);
    return 0;
}

static int cmd_parse(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto) {
    size_t len = 0;
    char *raw = read_all(stdin, &len);
    if (raw == NULL)
        return 1;
    json_t *canon = NULL;
    char *why = NULL;
    int rc = do_parse(spec, op, proto, raw, len, &canon, &why);
    free(raw);
    if (rc != 0) {
        fprintf(stderr, "%s\n", why ? why : "nimbus-marshal: parse failed");
        free(why);
        return 1;
    }
    char *text = json_dumps(canon, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(canon);
    if (text == NULL)
        return 1;
    puts(text);
    free(text);
    return 0;
}

static int cmd_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, const char *error,
                         int status, bool query_mode) {
    size_t len = 0;
    char *text = read_all(stdin, &len);
    if (text == NULL)
        return 1;
    json_t *canon = NULL;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i < len) {
        json_error_t jerr;
        canon = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
        if (canon == NULL) {
            fprintf(stderr, "nimbus-marshal: stdin: %s\n", jerr.text);
            free(text);
            return 1;
        }
    }
    free(text);
    nb__buf_t out = NB__BUF_INIT;
    char *why = NULL;
    int rc = do_serialize(spec, op, proto, canon, error, status, query_mode, &out, &why);
    json_decref(canon);
    if (rc != 0) {
        fprintf(stderr, "%s\n", why ? why : "nimbus-marshal: serialize failed");
        free(why);
    } else if (out.len) {
        fwrite(out.data, 1, out.len, stdout);
    }
    nb__buf_free(&out);
    return rc;
}

/* --protocol's name -> protocol; json_1_0 and the query-compatible variants are json. */
static nb__protocol_t protocol_named(const char *name, nb__protocol_t dflt) {
    if (name == NULL)
        return dflt;
    if (strncmp(name, "json", 4) == 0)
        return NB_PROTO_JSON;
    if (strncmp(name, "smithy-rpc-v2-cbor", 18) == 0)
        return NB_PROTO_CBOR;
    return nb__protocol_from_name(name);
}

/* One batch line -> its answer (new reference). */
static json_t *batch_one(const nb__spec_t *spec, const json_t *job) {
    const char *cmd = json_string_value(json_object_get(job, "cmd"));
    const char *op_name = json_string_value(json_object_get(job, "operation"));
    const char *proto_name = json_string_value(json_object_get(job, "protocol"));
    const nb__spec_op_t *op = op_name ? nb__spec_op(spec, op_name) : NULL;
    nb__protocol_t proto = protocol_named(proto_name, spec->protocol);
    char *why = NULL;
    json_t *answer = NULL;
    if (cmd == NULL || op == NULL || proto == NB_PROTO_NONE) {
        why = strdup(cmd == NULL ? "no cmd" : op == NULL ? "no such operation" : "unknown protocol");
    } else if (strcmp(cmd, "parse") == 0) {
        const char *b64 = json_string_value(json_object_get(job, "request"));
        size_t len = 0;
        unsigned char *raw = b64 ? nb__base64_decode(b64, strlen(b64), &len) : NULL;
        char *text = raw ? malloc(len + 1) : NULL;
        json_t *canon = NULL;
        if (text == NULL) {
            why = strdup("request is not base64");
        } else {
            memcpy(text, raw, len);
            text[len] = '\0';
            if (do_parse(spec, op, proto, text, len, &canon, &why) == 0)
                answer = json_pack("{s:b,s:o}", "ok", 1, "value", canon);
        }
        free(raw);
        free(text);
    } else if (strcmp(cmd, "serialize") == 0) {
        nb__buf_t out = NB__BUF_INIT;
        const json_t *status = json_object_get(job, "status");
        if (do_serialize(spec, op, proto, json_object_get(job, "value"),
                         json_string_value(json_object_get(job, "error")),
                         status ? (int)json_integer_value(status) : 0, json_is_true(json_object_get(job, "query_mode")),
                         &out, &why) == 0) {
            char *b64 = nb__base64_encode(out.data ? out.data : "", out.len);
            answer = b64 ? json_pack("{s:b,s:s}", "ok", 1, "response", b64) : NULL;
            free(b64);
        }
        nb__buf_free(&out);
    } else {
        why = strdup("cmd is parse or serialize");
    }
    if (answer == NULL)
        answer = json_pack("{s:b,s:s}", "ok", 0, "error", why ? why : "out of memory");
    free(why);
    return answer;
}

static int cmd_batch(const nb__spec_t *spec) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_error_t jerr;
        json_t *job = json_loadb(line, (size_t)n, 0, &jerr);
        json_t *answer = job ? batch_one(spec, job) : json_pack("{s:b,s:s}", "ok", 0, "error", jerr.text);
        json_decref(job);
        char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
        json_decref(answer);
        puts(text ? text : "{\"ok\":false,\"error\":\"out of memory\"}");
        free(text);
        fflush(stdout);
    }
    free(line);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage();
        return 1;
    }
    const char *cmd = argv[1], *spec_path = NULL, *op_name = NULL, *proto_name = NULL, *case_id = NULL,
               *error = NULL;
    int status = 0;
    bool query_mode = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--query-mode") == 0) {
            query_mode = true;
            continue;
        }
        if (next == NULL) {
            usage();
            return 1;
        }
        if (strcmp(a, "--spec") == 0)
            spec_path = next;
        else if (strcmp(a, "--operation") == 0)
            op_name = next;
        else if (strcmp(a, "--protocol") == 0)
            proto_name = next;
        else if (strcmp(a, "--case") == 0)
            case_id = next;
        else if (strcmp(a, "--error") == 0)
            error = next;
        else if (strcmp(a, "--status") == 0)
            status = atoi(next);
        else {
            usage();
            return 1;
        }
        i++;
    }
    bool is_parse = strcmp(cmd, "parse") == 0;
    if (strcmp(cmd, "batch") == 0 && spec_path) {
        nb__spec_t *spec = load_spec(spec_path, NULL, NULL);
        if (spec == NULL)
            return 1;
        int rc = cmd_batch(spec);
        nb__spec_free(spec);
        return rc;
    }
    if ((!is_parse && strcmp(cmd, "serialize") != 0) || spec_path == NULL || (op_name == NULL && case_id == NULL)) {
        usage();
        return 1;
    }
    nb__spec_t *spec = load_spec(spec_path, case_id, op_name);
    if (spec == NULL)
        return 1;
    if (op_name == NULL) {
        const json_t *c = suite_case(spec->root, case_id, NULL);
        op_name = json_string_value(json_object_get(json_object_get(c, "given"), "name"));
    }
    const nb__spec_op_t *op = op_name ? nb__spec_op(spec, op_name) : NULL;
    if (op == NULL) {
        fprintf(stderr, "nimbus-marshal: no operation %s\n", op_name ? op_name : "(none)");
        nb__spec_free(spec);
        return 1;
    }
    nb__protocol_t proto = protocol_named(proto_name, spec->protocol);
    if (proto == NB_PROTO_NONE) {
        fprintf(stderr, "nimbus-marshal: unknown protocol %s\n", proto_name ? proto_name : "(spec has none)");
        nb__spec_free(spec);
        return 1;
    }
    int rc = is_parse ? cmd_parse(spec, op, proto) : cmd_serialize(spec, op, proto, error, status, query_mode);
    nb__spec_free(spec);
    fflush(stdout);
    return rc;
}
