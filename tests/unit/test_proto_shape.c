/* Shape walking, scalar conversions and canonical JSON (core/proto/shape.c, canonical.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/canonical.h"
#include "proto/shape.h"

static nb__spec_t *spec;

static void setup(void) {
    const char *doc =
        "{\"metadata\":{\"protocol\":\"rest-json\",\"apiVersion\":\"2020-01-01\"},\"shapes\":{"
        "\"In\":{\"type\":\"structure\",\"payload\":\"Body\",\"members\":{"
        "  \"Name\":{\"shape\":\"Str\",\"location\":\"uri\",\"locationName\":\"name\"},"
        "  \"When\":{\"shape\":\"Iso\",\"location\":\"header\",\"locationName\":\"X-When\"},"
        "  \"Body\":{\"shape\":\"Stream\"},"
        "  \"Tags\":{\"shape\":\"TagList\"},"
        "  \"Data\":{\"shape\":\"Blob\"},"
        "  \"At\":{\"shape\":\"Ts\"},"
        "  \"Ratio\":{\"shape\":\"Dbl\"}}},"
        "\"Str\":{\"type\":\"string\"},\"Blob\":{\"type\":\"blob\"},"
        "\"Stream\":{\"type\":\"blob\",\"streaming\":true},"
        "\"Iso\":{\"type\":\"timestamp\",\"timestampFormat\":\"iso8601\"},\"Ts\":{\"type\":\"timestamp\"},"
        "\"Dbl\":{\"type\":\"double\"},\"Int\":{\"type\":\"integer\"},\"Lng\":{\"type\":\"long\"},"
        "\"Sht\":{\"type\":\"short\"},\"Bool\":{\"type\":\"boolean\"},"
        "\"TagList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"}},"
        "\"Doc\":{\"type\":\"structure\",\"members\":{},\"document\":true}}}";
    json_error_t e;
    char *err = NULL;
    spec = nb__spec_from_json(json_loads(doc, 0, &e), "test", &err);
    cr_assert_not_null(spec, "%s", err ? err : e.text);
}

static void teardown(void) { nb__spec_free(spec); }

TestSuite(proto_shape, .init = setup, .fini = teardown);

static const json_t *shape(const char *name) { return nb__spec_shape(spec, name); }

Test(proto_shape, kinds) {
    cr_assert_eq(nb__shape_kind(shape("In")), NB_SHAPE_STRUCTURE);
    cr_assert_eq(nb__shape_kind(shape("Doc")), NB_SHAPE_DOCUMENT);
    cr_assert_eq(nb__shape_kind(shape("Sht")), NB_SHAPE_INTEGER);
    cr_assert_eq(nb__shape_kind(shape("Lng")), NB_SHAPE_LONG);
    cr_assert_eq(nb__shape_kind(shape("Dbl")), NB_SHAPE_FLOAT);
    cr_assert_eq(nb__shape_kind(shape("TagList")), NB_SHAPE_LIST);
    cr_assert_eq(nb__shape_kind(NULL), NB_SHAPE_UNKNOWN);
}

Test(proto_shape, members_resolve_and_traits_look_at_ref_then_shape) {
    nb__member_iter_t it;
    nb__member_t m;
    int n = 0;
    bool saw_name = false;
    for (nb__member_iter_init(&it, spec, shape("In")); nb__member_next(&it, &m); n++) {
        cr_assert_not_null(m.shape, "member %s unresolved", m.name);
        if (strcmp(m.name, "Name") == 0) {
            saw_name = true;
            cr_assert_str_eq(nb__member_location(&m), "uri");
            cr_assert_str_eq(nb__member_location_name(&m), "name");
            cr_assert_eq(m.kind, NB_SHAPE_STRING);
        }
    }
    cr_assert_eq(n, 7);
    cr_assert(saw_name);
    cr_assert(nb__member_get(spec, shape("In"), "When", &m));
    cr_assert_eq(nb__timestamp_format(m.ref, m.shape, NB_TIME_RFC822), NB_TIME_ISO8601);
    cr_assert(nb__member_get(spec, shape("In"), "At", &m));
    cr_assert_eq(nb__timestamp_format(m.ref, m.shape, NB_TIME_RFC822), NB_TIME_RFC822);
    cr_assert_null(nb__member_location(&m));
    cr_assert_str_eq(nb__member_location_name(&m), "At");
    cr_assert(nb__shape_payload(spec, shape("In"), &m));
    cr_assert_str_eq(m.name, "Body");
    cr_assert(nb__member_streaming(&m));
    cr_assert_not(nb__member_get(spec, shape("In"), "Nope", &m));
}

static json_t *conv(const char *shape_name, const char *text, int *rc, const char **why) {
    json_t *v = NULL;
    *rc = nb__scalar_from_text(shape(shape_name), text, strlen(text), &v, why);
    return v;
}

Test(proto_shape, integers_are_range_checked) {
    int rc;
    const char *why = NULL;
    json_t *v = conv("Int", "2147483647", &rc, &why);
    cr_assert_eq(rc, 0);
    cr_assert_eq(json_integer_value(v), 2147483647);
    json_decref(v);
    cr_assert_null(conv("Int", "2147483648", &rc, &why));
    cr_assert_eq(rc, NB_EINVAL);
    cr_assert_str_eq(why, "integer out of range");
    cr_assert_null(conv("Sht", "40000", &rc, &why));
    cr_assert_null(conv("Int", "12abc", &rc, &why));
    cr_assert_str_eq(why, "not an integer");
    cr_assert_null(conv("Int", "", &rc, &why));
    cr_assert_null(conv("Lng", "99999999999999999999", &rc, &why));
    v = conv("Lng", "-9007199254740993", &rc, &why);
    cr_assert_eq(json_integer_value(v), -9007199254740993LL);
    json_decref(v);
}

Test(proto_shape, floats_booleans_and_special_values) {
    int rc;
    const char *why;
    json_t *v = conv("Dbl", "1.5e3", &rc, &why);
    cr_assert_float_eq(json_real_value(v), 1500.0, 1e-9);
    json_decref(v);
    v = conv("Dbl", "-Infinity", &rc, &why);
    cr_assert_str_eq(json_string_value(v), "-Infinity");
    json_decref(v);
    v = conv("Dbl", "NaN", &rc, &why);
    cr_assert_str_eq(json_string_value(v), "NaN");
    json_decref(v);
    cr_assert_null(conv("Dbl", "nan", &rc, &why));
    cr_assert_null(conv("Dbl", "0x10", &rc, &why));
    cr_assert_null(conv("Dbl", "1.5x", &rc, &why));
    v = conv("Bool", "false", &rc, &why);
    cr_assert(json_is_false(v));
    json_decref(v);
    cr_assert_null(conv("Bool", "TRUE", &rc, &why));
    cr_assert_str_eq(why, "not a boolean");
}

Test(proto_shape, timestamps_in_every_format) {
    int rc;
    const char *why;
    const char *forms[] = {"2014-04-29T18:30:38Z", "2014-04-29T18:30:38.000Z", "2014-04-29T19:30:38+01:00",
                           "Tue, 29 Apr 2014 18:30:38 GMT", "1398796238"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        json_t *v = conv("Ts", forms[i], &rc, &why);
        cr_assert_eq(rc, 0, "%s", forms[i]);
        cr_assert_float_eq(json_real_value(v), 1398796238.0, 1e-6, "%s", forms[i]);
        json_decref(v);
    }
    cr_assert_null(conv("Ts", "yesterday", &rc, &why));
    cr_assert_str_eq(why, "not a timestamp");
    cr_assert_null(conv("Ts", "2014-13-45T99:00:00Z", &rc, &why));
}

Test(proto_shape, blobs_from_base64) {
    int rc;
    const char *why;
    json_t *v = conv("Blob", "AGJpbg==", &rc, &why);
    cr_assert_eq(rc, 0);
    cr_assert_eq(json_string_length(v), 4);
    cr_assert_eq(memcmp(json_string_value(v), "\0bin", 4), 0);
    json_decref(v);
    cr_assert_null(conv("Blob", "not base64!", &rc, &why));
    cr_assert_str_eq(why, "invalid base64");
    cr_assert_null(conv("Blob", "QQ=", &rc, &why));
}

Test(proto_shape, scalars_back_to_text) {
    json_t *t = json_real(1398796238.0);
    char *s = nb__scalar_to_text(shape("Ts"), t, NB_TIME_RFC822);
    cr_assert_str_eq(s, "Tue, 29 Apr 2014 18:30:38 GMT");
    free(s);
    s = nb__scalar_to_text(shape("Ts"), t, NB_TIME_ISO8601);
    cr_assert_str_eq(s, "2014-04-29T18:30:38Z");
    free(s);
    s = nb__scalar_to_text(shape("Ts"), t, NB_TIME_EPOCH);
    cr_assert_str_eq(s, "1398796238");
    free(s);
    json_decref(t);
    json_t *d = json_real(1.1);
    s = nb__scalar_to_text(shape("Dbl"), d, NB_TIME_ISO8601);
    cr_assert_str_eq(s, "1.1");
    free(s);
    json_decref(d);
    json_t *inf = json_string("Infinity");
    s = nb__scalar_to_text(shape("Dbl"), inf, NB_TIME_ISO8601);
    cr_assert_str_eq(s, "Infinity");
    free(s);
    json_decref(inf);
    json_t *b = nb__value_blob("\0bin", 4);
    s = nb__scalar_to_text(shape("Blob"), b, NB_TIME_ISO8601);
    cr_assert_str_eq(s, "AGJpbg==");
    free(s);
    json_decref(b);
    json_t *wrong = json_string("x");
    cr_assert_null(nb__scalar_to_text(shape("Bool"), wrong, NB_TIME_ISO8601));
    json_decref(wrong);
}

Test(proto_shape, canonical_round_trip) {
    json_error_t e;
    json_t *canon = json_loads("{\"Data\":\"AGJpbg==\",\"At\":1398796238,\"Ratio\":\"NaN\",\"Tags\":[\"a\",\"b\"]}", 0, &e);
    char *err = NULL;
    json_t *v = nb__canonical_to_value(spec, shape("In"), canon, &err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_eq(json_string_length(json_object_get(v, "Data")), 4);
    cr_assert(json_is_real(json_object_get(v, "At")));
    json_t *back = nb__canonical_from_value(spec, shape("In"), v);
    cr_assert(json_equal(back, canon));
    json_decref(back);
    json_decref(v);
    json_decref(canon);
}

Test(proto_shape, canonical_rejects_bad_values_with_the_path) {
    json_error_t e;
    json_t *canon = json_loads("{\"Tags\":[\"a\", 3]}", 0, &e);
    char *err = NULL;
    cr_assert_null(nb__canonical_to_value(spec, shape("In"), canon, &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err, "Tags[1]"), "%s", err);
    free(err);
    json_decref(canon);
    canon = json_loads("{\"Data\":\"%%%\"}", 0, &e);
    cr_assert_null(nb__canonical_to_value(spec, shape("In"), canon, &err));
    cr_assert(strstr(err, "base64"), "%s", err);
    free(err);
    json_decref(canon);
}

/* A string's ASCII run is skipped eight bytes at a time: a byte that is not UTF-8 after it, at
 * any offset, is still refused, and a real character there still taken. */
Test(proto_shape, string_text_checked_as_utf8_at_every_offset) {
    char text[40];
    for (size_t at = 0; at + 1 < sizeof text; at++) {
        memset(text, 'a', sizeof text);
        text[at] = '\xff';
        json_t *v = NULL;
        const char *why = NULL;
        cr_assert_lt(nb__scalar_from_text(shape("Str"), text, sizeof text, &v, &why), 0, "0xff at %zu", at);
        cr_assert_null(v);
        memset(text, 'a', sizeof text);
        memcpy(text + at, "\xc3\xa9", 2);
        cr_assert_eq(nb__scalar_from_text(shape("Str"), text, sizeof text, &v, &why), 0, "U+00E9 at %zu", at);
        cr_assert_eq(json_string_length(v), sizeof text);
        json_decref(v);
    }
}
