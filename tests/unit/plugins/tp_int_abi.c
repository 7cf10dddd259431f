/* A plugin as ABI 1.0-1.5 headers built it: its handlers return int (0 done, 1 async,
 * 2 not implemented, < 0 failure). nb_result_t is a struct of one int, returned in the
 * same register, so such a binary must keep working (tests/e2e/test_int_abi_plugin.py).
 * The casts below stand in for the old header's `int (*)(nb_req_t *, const json_t *)`. */
#include <nimbus/plugin.h>

typedef int (*int_handler_pt)(nb_req_t *req, const json_t *input); /* the ABI 1.5 handler type */
#define OLD_HANDLER(fn) ((nb_op_handler_pt)(void (*)(void))(int_handler_pt)(fn))

static int list_streams(nb_req_t *req, const json_t *input) {
    (void)input;
    nb_reply_new(req, json_pack("{s:[s],s:b}", "StreamNames", "int-abi", "HasMoreStreams", 0));
    return 0;
}

static int describe_stream(nb_req_t *req, const json_t *input) {
    nb_error(req, "ResourceNotFoundException", "Stream %s not found",
             json_string_value(json_object_get(input, "StreamName")));
    return 0;
}

static int delete_stream(nb_req_t *req, const json_t *input) {
    (void)req, (void)input;
    return 2; /* NB_NOT_IMPLEMENTED of ABI 1.5 */
}

static int create_stream(nb_req_t *req, const json_t *input) {
    (void)req, (void)input;
    return -2; /* NB_EINVAL: an internal failure */
}

static void finish_later(nb_timer_t *timer, void *data) {
    nb_req_t *req = data;
    nb_reply_new(req, json_pack("{s:[]}", "Consumers"));
    nb_finish(req);
    nb_timer_stop(timer);
}

static int list_stream_consumers(nb_req_t *req, const json_t *input) {
    (void)input;
    nb_timer_start(nb_req_plugin(req), 20, 0, finish_later, req);
    return 1; /* NB_ASYNC of ABI 1.5 */
}

static const nb_op_t ops[] = {
    {"ListStreams", OLD_HANDLER(list_streams), 0},
    {"DescribeStream", OLD_HANDLER(describe_stream), 0},
    {"DeleteStream", OLD_HANDLER(delete_stream), 0},
    {"CreateStream", OLD_HANDLER(create_stream), 0},
    {"ListStreamConsumers", OLD_HANDLER(list_stream_consumers), 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "kinesis-int-abi", .service = "kinesis", .api_version = "2013-12-02", .ops = ops);
