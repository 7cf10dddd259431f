/*
 * The protocol targets' common body: request parsing (nb__proto_parse) of one protocol
 * against the protocol test suites' own shapes, which cover every shape kind and trait
 * the marshallers know. Input: a suite index byte, an operation index byte (into the
 * suite's operations sorted by name), then a raw HTTP request (request line, headers,
 * blank line, body), as tests/fuzz/make_seeds.py writes them from the vectors.
 *
 * A target defines NB_FUZZ_PROTOCOL and NB_FUZZ_SUITES (a NULL-terminated list of
 * suite file names under tests/proto/vectors/input, without .json) and includes this.
 */
#ifndef NB_FUZZ_PROTO_H
#define NB_FUZZ_PROTO_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/proto.h"
#include "router/raw_request.h"
#include "spec/spec.h"

#define NB_FUZZ_MAX_SUITES 64

static nb__spec_t *fuzz_suites[NB_FUZZ_MAX_SUITES];
static size_t fuzz_nsuites;

/* One spec per suite: its metadata and shapes, plus the operation of every case. */
static void fuzz_load_suite_file(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/input/%s.json", NB_FUZZ_VECTORS_DIR, name);
    json_error_t e;
    json_t *suites = json_load_file(path, 0, &e);
    if (!json_is_array(suites)) {
        fprintf(stderr, "fuzz: cannot load %s: %s\n", path, e.text);
        abort();
    }
    size_t i;
    json_t *suite;
    json_array_foreach(suites, i, suite) {
        if (fuzz_nsuites == NB_FUZZ_MAX_SUITES)
            break;
        json_t *root = json_pack("{s:O,s:O,s:{}}", "metadata", json_object_get(suite, "metadata"), "shapes",
                                 json_object_get(suite, "shapes"), "operations");
        char *err = NULL;
        nb__spec_t *spec = nb__spec_from_json(root, "fuzz", &err);
        if (spec == NULL) {
            fprintf(stderr, "fuzz: %s suite %zu: %s\n", path, i, err ? err : "?");
            abort();
        }
        size_t j;
        json_t *c;
        json_array_foreach(json_object_get(suite, "cases"), j, c) nb__spec_add_op(spec, json_object_get(c, "given"));
        fuzz_suites[fuzz_nsuites++] = spec;
    }
    json_decref(suites);
}

static void fuzz_free_suites(void) {
    for (size_t i = 0; i < fuzz_nsuites; i++)
        nb__spec_free(fuzz_suites[i]);
    fuzz_nsuites = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    static const char *const suites[] = {NB_FUZZ_SUITES};
    for (size_t i = 0; suites[i] != NULL; i++)
        fuzz_load_suite_file(suites[i]);
    atexit(fuzz_free_suites); /* the specs live for the whole run: not a leak */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || fuzz_nsuites == 0)
        return 0;
    const nb__spec_t *spec = fuzz_suites[data[0] % fuzz_nsuites];
    if (spec->nops == 0)
        return 0;
    const nb__spec_op_t *op = &spec->ops[data[1] % spec->nops];
    nb__http_request_t req;
    if (nb_test_parse_request((const char *)data + 2, size - 2, &req) != 0) {
        nb__http_request_free(&req);
        return 0;
    }
    json_t *input = NULL;
    nb__aws_error_t err = {0};
    if (nb__proto_parse(spec, op, NB_FUZZ_PROTOCOL, &req, &input, &err) == 0)
        nb__proto_validate(spec, op, NB_FUZZ_PROTOCOL, input, &err);
    json_decref(input);
    nb__aws_error_clear(&err);
    nb__http_request_free(&req);
    return 0;
}

#endif
