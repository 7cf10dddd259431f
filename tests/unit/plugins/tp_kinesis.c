/* An out-of-tree style plugin for a service Nimbus does not implement (kinesis),
 * used by the end-to-end test that drops a .so into NIMBUS_PLUGIN_PATH. */
#include <nimbus/plugin.h>

static nb_result_t tp_kinesis_list_streams(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, json_pack("{s:[s],s:b}", "StreamNames", "dropped-in", "HasMoreStreams", 0));
}

static const nb_op_t ops[] = {{"ListStreams", tp_kinesis_list_streams, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "kinesis-test", .service = "kinesis", .api_version = "2013-12-02", .ops = ops);
