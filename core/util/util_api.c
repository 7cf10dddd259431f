/* nb_api->util: the core's one implementation of each helper, as plugins reach it. */
#include "util/util_api.h"

#include "router/context.h"
#include "util/arn.h"
#include "util/codec.h"
#include "util/digest.h"
#include "util/ids.h"

const nb_util_api_t nb__util_api = {
    .size = sizeof(nb_util_api_t),
    .base64_encode = nb__base64_encode_to,
    .base64_decode = nb__base64_decode_to,
    .hex_encode = nb__hex_encode_to,
    .hex_decode = nb__hex_decode_to,
    .url_encode = nb__url_encode_to,
    .url_decode = nb__url_decode_to,
    .time_format = nb__time_format_to,
    .time_parse = nb__time_parse_abi,
    .time_strftime = nb__time_strftime,
    .arn_format = nb__arn_format,
    .arn_parse = nb__arn_parse,
    .uuid = nb__uuid,
    .request_id = nb__request_id_new,
    .random_bytes = nb__random_bytes,
    .random_id = nb__random_id,
    .digest_new = nb__digest_new,
    .digest_update = nb__digest_update,
    .digest_final = nb__digest_final,
    .digest_free = nb__digest_free,
    .digest_size = nb__digest_size,
    .digest = nb__digest,
    .hmac = nb__hmac,
    .crc32 = nb__crc32,
    .crc32c = nb__crc32c,
    .crc64nvme = nb__crc64nvme,
};
