/*
 * Mix-ups of handler results and helper steps that must not compile (tests/CMakeLists.txt
 * compiles this file once per case with -Werror and expects the compiler to refuse it).
 * RESULT_TYPES_OK is the control: the same code used right must compile, so each failing
 * case fails for its mix-up and not for a missing header.
 */
#include "nimbus/plugin.h"

static nb_step_t check_name(nb_req_t *req, const json_t *in) {
    if (json_string_value(json_object_get(in, "Name")) == NULL)
        return nb_stop(nb_error(req, "MissingParameter", "Name is required."));
    return NB_GO_ON;
}

/* A helper of the old kind: 1 go on, 0 answered, < 0 failure. */
static int check_name_int(nb_req_t *req, const json_t *in) {
    if (json_string_value(json_object_get(in, "Name")) == NULL) {
        nb_error(req, "MissingParameter", "Name is required.");
        return 0;
    }
    return 1;
}

#if defined(RESULT_TYPES_OK)
static nb_result_t handler(nb_req_t *req, const json_t *in) {
    NB_TRY(check_name(req, in));
    if (check_name_int(req, in) <= 0)
        return NB_DONE;
    return nb_reply_new(req, NULL);
}
#elif defined(STEP_RETURNED_FROM_HANDLER)
/* a helper's "go on" returned as the handler's result: it once read as NB_ASYNC and hung */
static nb_result_t handler(nb_req_t *req, const json_t *in) { return check_name(req, in); }
#elif defined(INT_RETURNED_FROM_HANDLER)
static nb_result_t handler(nb_req_t *req, const json_t *in) { return check_name_int(req, in); }
#elif defined(RESULT_RETURNED_FROM_HELPER)
/* a handler's result where a helper's step is expected: "answered" is not "go on" */
static nb_step_t helper(nb_req_t *req, const json_t *in) {
    (void)in;
    return nb_reply_new(req, NULL);
}
static nb_result_t handler(nb_req_t *req, const json_t *in) {
    NB_TRY(helper(req, in));
    return NB_DONE;
}
#elif defined(INT_HANDLER_IN_TABLE)
/* a handler of the int-returning kind in the operation table */
static int handler(nb_req_t *req, const json_t *in) { return check_name_int(req, in); }
#else
#error "define one case"
#endif

static const nb_op_t ops[] = {{"CreateThing", handler, 0}, {NULL, NULL, 0}};
NB_PLUGIN_DEFINE(.name = "result-types", .service = "result-types", .ops = ops);
