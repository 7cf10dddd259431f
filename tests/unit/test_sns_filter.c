/* SNS filter policies: every operator on attributes and bodies, AWS's limits, and each refusal text. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "sns_filter.h"

static sns_filter_t *compile_ok(const char *policy)
{
    char *err = NULL;
    sns_filter_t *f = sns_filter_compile(policy, strlen(policy), &err);
    cr_assert_not_null(f, "%s refused: %s", policy, err ? err : "(no message)");
    cr_assert_null(err);
    return f;
}

/* The refusal text (caller frees). */
static char *compile_err(const char *policy, size_t len)
{
    char *err = NULL;
    sns_filter_t *f = sns_filter_compile(policy, len, &err);
    cr_assert_null(f, "%.200s accepted", policy);
    cr_assert_not_null(err);
    return err;
}

/* attrs: MessageAttributes as name -> {"Type","Value"} JSON text. */
static int on_attributes(const char *policy, const char *attrs)
{
    sns_filter_t *f = compile_ok(policy);
    json_t *a = json_loads(attrs, 0, NULL);
    cr_assert_not_null(a, "bad test attributes %s", attrs);
    int m = sns_filter_match(f, 0, a, NULL, 0);
    json_decref(a);
    sns_filter_free(f);
    return m;
}

static int on_body(const char *policy, const char *body)
{
    sns_filter_t *f = compile_ok(policy);
    int m = sns_filter_match(f, 1, NULL, body, strlen(body));
    sns_filter_free(f);
    return m;
}

#define STR(v) "{\"k\":{\"Type\":\"String\",\"Value\":\"" v "\"}}"
#define NUM(v) "{\"k\":{\"Type\":\"Number\",\"Value\":\"" v "\"}}"

/* ---- operators ---- */

Test(sns_filter, exact_string_is_case_sensitive)
{
    cr_assert_eq(on_attributes("{\"k\":[\"rugby\",\"tennis\"]}", STR("tennis")), 1);
    cr_assert_eq(on_attributes("{\"k\":[\"rugby\",\"tennis\"]}", STR("Rugby")), 0);
    cr_assert_eq(on_attributes("{\"k\":[\"rugby\"]}", "{}"), 0, "an absent attribute matches no value");
    cr_assert_eq(on_attributes("{\"k\":[\"rugby\"]}", "{\"other\":{\"Type\":\"String\",\"Value\":\"rugby\"}}"), 0);
    cr_assert_eq(on_body("{\"k\":[\"rugby\"]}", "{\"k\":\"rugby\"}"), 1);
    cr_assert_eq(on_body("{\"k\":[\"rugby\"]}", "{\"k\":\"rugbyx\"}"), 0);
}

Test(sns_filter, exact_number_compares_numbers)
{
    cr_assert_eq(on_attributes("{\"k\":[100]}", NUM("100")), 1);
    cr_assert_eq(on_attributes("{\"k\":[100]}", NUM("1e2")), 1);
    cr_assert_eq(on_attributes("{\"k\":[100]}", NUM("100.0")), 1);
    cr_assert_eq(on_attributes("{\"k\":[1e2]}", NUM("100")), 1);
    cr_assert_eq(on_attributes("{\"k\":[100]}", NUM("101")), 0);
    /* a number never equals a string, either way round */
    cr_assert_eq(on_attributes("{\"k\":[100]}", STR("100")), 0);
    cr_assert_eq(on_attributes("{\"k\":[\"100\"]}", NUM("100")), 0);
    cr_assert_eq(on_body("{\"k\":[100.0]}", "{\"k\":1e2}"), 1);
    cr_assert_eq(on_body("{\"k\":[100]}", "{\"k\":\"100\"}"), 0);
    /* custom type labels keep their base type */
    cr_assert_eq(on_attributes("{\"k\":[5]}", "{\"k\":{\"Type\":\"Number.int\",\"Value\":\"5\"}}"), 1);
}

Test(sns_filter, true_false_null_match_json_literals)
{
    cr_assert_eq(on_body("{\"k\":[true]}", "{\"k\":true}"), 1);
    cr_assert_eq(on_body("{\"k\":[true]}", "{\"k\":\"true\"}"), 0);
    cr_assert_eq(on_body("{\"k\":[false]}", "{\"k\":false}"), 1);
    cr_assert_eq(on_body("{\"k\":[null]}", "{\"k\":null}"), 1);
    cr_assert_eq(on_body("{\"k\":[null]}", "{}"), 0, "null is a value, not an absence");
    cr_assert_eq(on_attributes("{\"k\":[true]}", "{\"k\":{\"Type\":\"String.Array\",\"Value\":\"[true]\"}}"), 1);
}

Test(sns_filter, prefix)
{
    cr_assert_eq(on_attributes("{\"k\":[{\"prefix\":\"bas\"}]}", STR("baseball")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"prefix\":\"bas\"}]}", STR("rugby")), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"prefix\":\"bas\"}]}", STR("ba")), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"prefix\":\"1\"}]}", NUM("12")), 0, "prefix applies to strings");
    cr_assert_eq(on_body("{\"k\":[{\"prefix\":\"auto-\"}]}", "{\"k\":\"auto-test\"}"), 1);
}

Test(sns_filter, suffix)
{
    cr_assert_eq(on_attributes("{\"k\":[{\"suffix\":\"ball\"}]}", STR("baseball")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"suffix\":\"ball\"}]}", STR("rugby")), 0);
    cr_assert_eq(on_body("{\"k\":[{\"suffix\":\".png\"}]}", "{\"k\":\"image.png\"}"), 1);
    cr_assert_eq(on_body("{\"k\":[{\"suffix\":\".png\"}]}", "{\"k\":\"png\"}"), 0);
}

Test(sns_filter, equals_ignore_case)
{
    cr_assert_eq(on_attributes("{\"k\":[{\"equals-ignore-case\":\"RuGbY\"}]}", STR("rugby")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"equals-ignore-case\":\"rugby\"}]}", STR("RUGBY")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"equals-ignore-case\":\"rugby\"}]}", STR("rugbys")), 0);
    cr_assert_eq(on_body("{\"k\":[{\"equals-ignore-case\":\"ON\"}]}", "{\"k\":\"on\"}"), 1);
}

Test(sns_filter, anything_but_value_and_list)
{
    const char *one = "{\"k\":[{\"anything-but\":\"rugby\"}]}";
    cr_assert_eq(on_attributes(one, STR("tennis")), 1);
    cr_assert_eq(on_attributes(one, STR("rugby")), 0);
    cr_assert_eq(on_attributes(one, "{}"), 0, "anything-but needs the attribute");
    const char *list = "{\"k\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}";
    cr_assert_eq(on_attributes(list, STR("baseball")), 1);
    cr_assert_eq(on_attributes(list, STR("tennis")), 0);
    const char *nums = "{\"k\":[{\"anything-but\":[100,200]}]}";
    cr_assert_eq(on_attributes(nums, NUM("150")), 1);
    cr_assert_eq(on_attributes(nums, NUM("1e2")), 0, "numbers compared as numbers");
    cr_assert_eq(on_body("{\"k\":[{\"anything-but\":0}]}", "{\"k\":0.0}"), 0);
    cr_assert_eq(on_body("{\"k\":[{\"anything-but\":0}]}", "{\"k\":1}"), 1);
    /* with exists:false it also takes the messages without the attribute */
    cr_assert_eq(on_attributes("{\"k\":[{\"anything-but\":\"rugby\"},{\"exists\":false}]}", "{}"), 1);
}

Test(sns_filter, anything_but_on_arrays_needs_every_element_allowed)
{
    const char *list = "{\"k\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}";
    cr_assert_eq(on_attributes(list, "{\"k\":{\"Type\":\"String.Array\",\"Value\":\"[\\\"golf\\\",\\\"polo\\\"]\"}}"), 1);
    cr_assert_eq(on_attributes(list, "{\"k\":{\"Type\":\"String.Array\",\"Value\":\"[\\\"rugby\\\",\\\"polo\\\"]\"}}"), 0);
    cr_assert_eq(on_body(list, "{\"k\":[\"golf\",\"tennis\"]}"), 0);
    cr_assert_eq(on_body(list, "{\"k\":[\"golf\",\"polo\"]}"), 1);
}

Test(sns_filter, anything_but_prefix)
{
    const char *p = "{\"k\":[{\"anything-but\":{\"prefix\":\"order-\"}}]}";
    cr_assert_eq(on_attributes(p, STR("invoice-1")), 1);
    cr_assert_eq(on_attributes(p, STR("order-1")), 0);
    cr_assert_eq(on_body(p, "{\"k\":\"order-\"}"), 0);
    cr_assert_eq(on_body(p, "{\"k\":\"orde\"}"), 1);
}

Test(sns_filter, numeric_operators)
{
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\"=\",301.0]}]}", NUM("301")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\"=\",301]}]}", NUM("301.5")), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\"<\",0]}]}", NUM("-1")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\"<\",0]}]}", NUM("0")), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\"<=\",0]}]}", NUM("0")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\">\",0]}]}", NUM("0")), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\">\",0]}]}", NUM("0.00001")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\">=\",0]}]}", NUM("0")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"numeric\":[\">=\",0]}]}", STR("5")), 0, "numeric wants a number");
    cr_assert_eq(on_body("{\"k\":[{\"numeric\":[\">\",10]}]}", "{\"k\":\"20\"}"), 0);
}

Test(sns_filter, numeric_ranges)
{
    const char *closed = "{\"k\":[{\"numeric\":[\">=\",0,\"<=\",100]}]}";
    cr_assert_eq(on_attributes(closed, NUM("0")), 1);
    cr_assert_eq(on_attributes(closed, NUM("100")), 1);
    cr_assert_eq(on_attributes(closed, NUM("100.1")), 0);
    const char *open = "{\"k\":[{\"numeric\":[\">\",0,\"<\",100]}]}";
    cr_assert_eq(on_attributes(open, NUM("0")), 0);
    cr_assert_eq(on_attributes(open, NUM("100")), 0);
    cr_assert_eq(on_attributes(open, NUM("99.99")), 1);
    cr_assert_eq(on_body("{\"price\":[{\"numeric\":[\">\",0,\"<=\",150]}]}", "{\"price\":150}"), 1);
}

Test(sns_filter, exists_true_and_false)
{
    cr_assert_eq(on_attributes("{\"k\":[{\"exists\":true}]}", NUM("99")), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"exists\":true}]}", "{}"), 0);
    cr_assert_eq(on_attributes("{\"k\":[{\"exists\":false}]}", "{}"), 1);
    cr_assert_eq(on_attributes("{\"k\":[{\"exists\":false}]}", STR("x")), 0);
    cr_assert_eq(on_body("{\"a\":{\"b\":[{\"exists\":true}]}}", "{\"a\":{\"b\":null}}"), 1);
    cr_assert_eq(on_body("{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"a\":{\"c\":1}}"), 1);
    cr_assert_eq(on_body("{\"a\":[{\"exists\":true}]}", "{\"a\":{\"c\":1}}"), 0, "an object is not a value");
}

Test(sns_filter, cidr_ipv4_and_ipv6)
{
    const char *v4 = "{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}";
    cr_assert_eq(on_body(v4, "{\"ip\":\"10.0.0.255\"}"), 1);
    cr_assert_eq(on_body(v4, "{\"ip\":\"10.0.1.0\"}"), 0);
    cr_assert_eq(on_body(v4, "{\"ip\":\"not an ip\"}"), 0);
    cr_assert_eq(on_body(v4, "{\"ip\":\"10.0.0.1:80\"}"), 0, "an address with a port is no address");
    cr_assert_eq(on_body(v4, "{\"ip\":\"10.0.0.01\"}"), 0, "leading zeros are not standard");
    cr_assert_eq(on_attributes("{\"ip\":[{\"cidr\":\"192.168.0.0/17\"}]}",
                               "{\"ip\":{\"Type\":\"String\",\"Value\":\"192.168.127.1\"}}"), 1);
    cr_assert_eq(on_attributes("{\"ip\":[{\"cidr\":\"192.168.0.0/17\"}]}",
                               "{\"ip\":{\"Type\":\"String\",\"Value\":\"192.168.128.1\"}}"), 0);
    const char *v6 = "{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}";
    cr_assert_eq(on_body(v6, "{\"ip\":\"2001:db8:1::7\"}"), 1);
    cr_assert_eq(on_body(v6, "{\"ip\":\"2001:db9::1\"}"), 0);
    cr_assert_eq(on_body(v6, "{\"ip\":\"10.0.0.1\"}"), 0, "an IPv4 address is not in an IPv6 network");
    cr_assert_eq(on_body("{\"ip\":[{\"cidr\":\"::ffff:10.0.0.0/120\"}]}", "{\"ip\":\"::ffff:10.0.0.9\"}"), 1);
    cr_assert_eq(on_body("{\"ip\":[{\"cidr\":\"0.0.0.0/0\"}]}", "{\"ip\":\"8.8.8.8\"}"), 1);
}

Test(sns_filter, and_across_keys_or_within_values)
{
    const char *p = "{\"customer_interests\":[\"rugby\"],\"price_usd\":[{\"numeric\":[\">\",100]}]}";
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String\",\"Value\":\"rugby\"},"
                                  "\"price_usd\":{\"Type\":\"Number\",\"Value\":\"101\"}}"), 1);
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String\",\"Value\":\"rugby\"},"
                                  "\"price_usd\":{\"Type\":\"Number\",\"Value\":\"100\"}}"), 0);
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String\",\"Value\":\"rugby\"}}"), 0);
}

Test(sns_filter, or_at_top_level)
{
    const char *p = "{\"source\":[\"aws.cloudwatch\"],\"$or\":[{\"metricName\":[\"CPUUtilization\"]},"
                    "{\"namespace\":[\"AWS/EC2\"]}]}";
    cr_assert_eq(on_body(p, "{\"source\":\"aws.cloudwatch\",\"metricName\":\"CPUUtilization\"}"), 1);
    cr_assert_eq(on_body(p, "{\"source\":\"aws.cloudwatch\",\"namespace\":\"AWS/EC2\"}"), 1);
    cr_assert_eq(on_body(p, "{\"source\":\"aws.cloudwatch\",\"namespace\":\"AWS/ES\"}"), 0);
    cr_assert_eq(on_body(p, "{\"source\":\"other\",\"namespace\":\"AWS/EC2\"}"), 0);
    cr_assert_eq(on_attributes("{\"$or\":[{\"a\":[\"1\"]},{\"b\":[\"2\"]}]}",
                               "{\"b\":{\"Type\":\"String\",\"Value\":\"2\"}}"), 1);
}

Test(sns_filter, or_nested_under_a_key_and_inside_or)
{
    const char *p = "{\"detail\":{\"$or\":[{\"c\":[{\"numeric\":[\">\",0,\"<=\",5]}]},{\"d\":[{\"numeric\":[\"<\",10]}]}]}}";
    cr_assert_eq(on_body(p, "{\"detail\":{\"c\":3}}"), 1);
    cr_assert_eq(on_body(p, "{\"detail\":{\"d\":9}}"), 1);
    cr_assert_eq(on_body(p, "{\"detail\":{\"c\":6,\"d\":10}}"), 0);
    const char *deep = "{\"$or\":[{\"a\":[\"1\"]},{\"$or\":[{\"b\":[\"2\"]},{\"c\":[\"3\"]}]}]}";
    cr_assert_eq(on_body(deep, "{\"c\":\"3\"}"), 1);
    cr_assert_eq(on_body(deep, "{\"d\":\"3\"}"), 0);
}

Test(sns_filter, or_at_two_levels_together)
{
    const char *p = "{\"$or\":[{\"metricName\":[\"CPUUtilization\",\"ReadLatency\"]},{\"namespace\":[\"AWS/EC2\",\"AWS/ES\"]}],"
                    "\"detail\":{\"scope\":[\"Service\"],\"$or\":[{\"source\":[\"aws.cloudwatch\"]},"
                    "{\"type\":[\"CloudWatch Alarm State Change\"]}]}}";
    static const struct {
        const char *body;
        int match;
    } cases[] = {
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"scope\":\"aws.cloudwatch\",\"type\":\"CloudWatch Alarm State Change\"}}", 0},
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"scope\":\"Service\",\"type\":\"CPUUtilization\"}}", 0},
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"type\":\"CloudWatch Alarm State Change\"}}", 0},
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"scope\":\"Service\"}}", 0},
        {"{\"metricName\":\"CPUUtilization\",\"scope\":\"Service\"}", 0},
        {"{\"metricName\":\"AWS/EC2\",\"detail\":{\"scope\":\"Service\",\"type\":\"CloudWatch Alarm State Change\"}}", 0},
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"scope\":\"Service\",\"source\":\"aws.cloudwatch\"}}", 1},
        {"{\"metricName\":\"ReadLatency\",\"detail\":{\"scope\":\"Service\",\"source\":\"aws.cloudwatch\"}}", 1},
        {"{\"namespace\":\"AWS/EC2\",\"detail\":{\"scope\":\"Service\",\"source\":\"aws.cloudwatch\"}}", 1},
        {"{\"namespace\":\"AWS/ES\",\"detail\":{\"scope\":\"Service\",\"source\":\"aws.cloudwatch\"}}", 1},
        {"{\"metricName\":\"CPUUtilization\",\"detail\":{\"scope\":\"Service\",\"type\":\"CloudWatch Alarm State Change\"}}", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(on_body(p, cases[i].body), cases[i].match, "%s", cases[i].body);
}

Test(sns_filter, nested_keys_and_dotted_keys_in_the_body)
{
    const char *p = "{\"object\":{\"nested\":[\"string.value\"]}}";
    cr_assert_eq(on_body(p, "{\"object\":{\"nested\":\"string.value\"}}"), 1);
    cr_assert_eq(on_body(p, "{\"object.nested\":\"string.value\"}"), 1);
    cr_assert_eq(on_body(p, "{\"object\":{\"nested\":\"other\"}}"), 0);
    cr_assert_eq(on_body("{\"object.nested\":[\"v\"]}", "{\"object\":{\"nested\":\"v\"}}"), 1);
    cr_assert_eq(on_body("{\"a\":{\"b\":{\"c\":[\"v\"]}}}", "{\"a\":{\"b.c\":\"v\"}}"), 1);
}

Test(sns_filter, arrays_in_the_body_match_on_any_element)
{
    const char *p = "{\"headers\":{\"route-to\":[\"queue1\"]}}";
    cr_assert_eq(on_body(p, "{\"headers\":{\"route-to\":[\"queue2\",\"queue1\"]}}"), 1);
    cr_assert_eq(on_body(p, "{\"headers\":{\"route-to\":[\"queue2\"]}}"), 0);
    const char *records = "{\"Records\":{\"s3\":{\"object\":{\"key\":[{\"prefix\":\"auto-\"}]}}}}";
    cr_assert_eq(on_body(records, "{\"Records\":[{\"s3\":{\"object\":{\"key\":\"home-1\"}}},"
                                  "{\"s3\":{\"object\":{\"key\":\"auto-1\"}}}]}"), 1);
    cr_assert_eq(on_body(records, "{\"Records\":[{\"s3\":{\"object\":{\"key\":\"home-1\"}}}]}"), 0);
    cr_assert_eq(on_body("{\"k\":[{\"exists\":false}]}", "{\"k\":[]}"), 1, "an empty array has no value");
}

Test(sns_filter, string_array_attributes_match_on_any_element)
{
    const char *p = "{\"customer_interests\":[\"rugby\",\"tennis\"]}";
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String.Array\","
                                  "\"Value\":\"[\\\"soccer\\\",\\\"tennis\\\"]\"}}"), 1);
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String.Array\","
                                  "\"Value\":\"[\\\"baseball\\\"]\"}}"), 0);
    cr_assert_eq(on_attributes("{\"n\":[{\"numeric\":[\">\",5]}]}",
                               "{\"n\":{\"Type\":\"String.Array\",\"Value\":\"[1, 7]\"}}"), 1);
    cr_assert_eq(on_attributes(p, "{\"customer_interests\":{\"Type\":\"String.Array\",\"Value\":\"not json\"}}"), 0);
}

Test(sns_filter, binary_attributes_are_not_compared)
{
    cr_assert_eq(on_attributes("{\"k\":[\"aGk=\"]}", "{\"k\":{\"Type\":\"Binary\",\"Value\":\"aGk=\"}}"), 0);
}

Test(sns_filter, a_body_that_is_not_a_json_object_matches_nothing)
{
    cr_assert_eq(on_body("{\"k\":[{\"exists\":false}]}", "plain text"), 0);
    cr_assert_eq(on_body("{\"k\":[{\"exists\":false}]}", "[1,2]"), 0);
    cr_assert_eq(on_body("{\"k\":[{\"exists\":false}]}", "{}"), 1, "the control: an object does");
}

Test(sns_filter, nested_is_reported_for_the_scope_check)
{
    sns_filter_t *flat = compile_ok("{\"a\":[\"1\"],\"$or\":[{\"b\":[\"2\"]},{\"c\":[\"3\"]}]}");
    sns_filter_t *nested = compile_ok("{\"$or\":[{\"a\":{\"b\":[\"2\"]}},{\"c\":[\"3\"]}]}");
    cr_assert_eq(sns_filter_is_nested(flat), 0);
    cr_assert_eq(sns_filter_is_nested(nested), 1);
    sns_filter_free(flat);
    sns_filter_free(nested);
}

/* ---- limits ---- */

Test(sns_filter, five_keys_at_most)
{
    sns_filter_free(compile_ok("{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1]}"));
    const char *six = "{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}";
    char *err = compile_err(six, strlen(six));
    cr_assert_str_eq(err, "Filter policy can not have more than 5 keys");
    free(err);
    /* a nested policy counts its top keys only */
    sns_filter_free(compile_ok("{\"a\":{\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1],\"g\":[1]}}"));
}

static char *values_policy(size_t n)
{
    char *p = malloc(16 + n * 8);
    strcpy(p, "{\"k\":[");
    for (size_t i = 0; i < n; i++)
        sprintf(p + strlen(p), "%s%zu", i ? "," : "", i);
    strcat(p, "]}");
    return p;
}

Test(sns_filter, one_hundred_fifty_combinations_at_most)
{
    char *p150 = values_policy(150), *p151 = values_policy(151);
    sns_filter_free(compile_ok(p150));
    char *err = compile_err(p151, strlen(p151));
    cr_assert_str_eq(err, "Filter policy is too complex");
    free(err);
    free(p150);
    free(p151);
    /* the product across keys: 10 x 15 = 150 passes, 10 x 16 does not */
    sns_filter_free(compile_ok("{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}"));
    const char *p160 = "{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}";
    err = compile_err(p160, strlen(p160));
    cr_assert_str_eq(err, "Filter policy is too complex");
    free(err);
}

Test(sns_filter, nesting_depth_multiplies_combinations)
{
    /* AWS's example: 4 values 3 deep and 3 values 2 deep = 4x3 x 3x2 = 72 */
    const char *p72 = "{\"key_a\":{\"key_b\":{\"key_c\":[\"1\",\"2\",\"3\",\"4\"]}},\"key_d\":{\"key_e\":[\"1\",\"2\",\"3\"]}}";
    sns_filter_free(compile_ok(p72));
    /* and a third key of 3 values: 72 x 3 = 216 */
    const char *p216 = "{\"key_a\":{\"key_b\":{\"key_c\":[\"1\",\"2\",\"3\",\"4\"]}},\"key_d\":{\"key_e\":[\"1\",\"2\",\"3\"]},"
                       "\"key_f\":[\"1\",\"2\",\"3\"]}";
    char *err = compile_err(p216, strlen(p216));
    cr_assert_str_eq(err, "Filter policy is too complex");
    free(err);
}

Test(sns_filter, or_branches_add_up)
{
    /* 2 x (40 + 35) = 150 passes; 2 x (40 + 36) = 152 does not */
    char ok[2048], bad[2048], a40[512] = "", b35[512] = "", b36[512] = "";
    for (int i = 0; i < 40; i++)
        sprintf(a40 + strlen(a40), "%s%d", i ? "," : "", i);
    for (int i = 0; i < 35; i++)
        sprintf(b35 + strlen(b35), "%s%d", i ? "," : "", i);
    snprintf(b36, sizeof b36, "%.500s,99", b35);
    snprintf(ok, sizeof ok, "{\"x\":[1,2],\"$or\":[{\"a\":[%s]},{\"b\":[%s]}]}", a40, b35);
    snprintf(bad, sizeof bad, "{\"x\":[1,2],\"$or\":[{\"a\":[%s]},{\"b\":[%s]}]}", a40, b36);
    sns_filter_free(compile_ok(ok));
    char *err = compile_err(bad, strlen(bad));
    cr_assert_str_eq(err, "Filter policy is too complex");
    free(err);
}

Test(sns_filter, two_hundred_fifty_six_kilobytes_at_most)
{
    /* a valid policy padded with whitespace to the limit, then one byte over */
    size_t limit = 256 * 1024;
    char *p = malloc(limit + 2);
    const char *core = "{\"k\":[\"v\"]}";
    memset(p, ' ', limit + 1);
    memcpy(p, core, strlen(core));
    p[limit + 1] = '\0';
    char *err = NULL;
    sns_filter_t *f = sns_filter_compile(p, limit, &err);
    cr_assert_not_null(f, "%s", err ? err : "");
    sns_filter_free(f);
    err = compile_err(p, limit + 1);
    cr_assert_str_eq(err, "Filter policy is too large");
    free(err);
    free(p);
}

/* ---- refusal texts ---- */

struct refusal {
    const char *policy;
    const char *message;
};

/* What AWS answered for these policies (its recorded answers), position included. */
static const struct refusal aws_answers[] = {
    {"{\"key\": [[\"value\"]]}", "Match value must be String, number, true, false, or null\n at [Source: "
                                  "(String)\"{\"key\":[[\"value\"]]}\"; line: 1, column: 10]"},
    {"{\"key\": [{\"wrong-operator\": true}]}", "Unrecognized match type wrong-operator\n at [Source: "
                                               "(String)\"{\"key\":[{\"wrong-operator\":true}]}\"; line: 1, column: 31]"},
    {"{\"key\": [{\"suffix\": \"value\", \"prefix\": \"value2\"}]}",
     "Only one key allowed in match expression\n at [Source: (String)\"{\"key\":[{\"suffix\":\"value\","
     "\"prefix\":\"value2\"}]}\"; line: 1, column: 37]"},
    {"{\"key\": [{\"suffix\": 100}]}", "suffix match pattern must be a string\n at [Source: "
                                      "(String)\"{\"key\":[{\"suffix\":100}]}\"; line: 1, column: 22]"},
    {"{\"key\": [{\"suffix\": null}]}", "suffix match pattern must be a string\n at [Source: "
                                       "(String)\"{\"key\":[{\"suffix\":null}]}\"; line: 1, column: 23]"},
    {"{\"key\": [{\"suffix\": []}]}", "suffix match pattern must be a string\n at [Source: "
                                     "(String)\"{\"key\":[{\"suffix\":[]}]}\"; line: 1, column: 20]"},
    {"{\"key\": {\"suffix\": \"value\"}}", "\"suffix\" must be an object or an array\n at [Source: "
                                          "(String)\"{\"key\":{\"suffix\":\"value\"}}\"; line: 1, column: 19]"},
    {"{\"key_a\": \"value_one\"}", "\"key_a\" must be an object or an array\n at [Source: "
                                  "(String)\"{\"key_a\":\"value_one\"}\"; line: 1, column: 11]"},
    {"{\"key\": [{\"numeric\": []}]}", "Invalid member in numeric match: ]\n at [Source: "
                                      "(String)\"{\"key\":[{\"numeric\":[]}]}\"; line: 1, column: 22]"},
    {"{\"key\": [{\"numeric\": [\"operator\"]}]}",
     "Unrecognized numeric range operator: operator\n at [Source: (String)\"{\"key\":[{\"numeric\":"
     "[\"operator\"]}]}\"; line: 1, column: 32]"},
    {"{\"key\": [{\"numeric\": [1, \"<=\"]}]}", "Invalid member in numeric match: 1\n at [Source: "
                                               "(String)\"{\"key\":[{\"numeric\":[1,\"<=\"]}]}\"; line: 1, column: 22]"},
    {"{\"key\": [{\"numeric\": [\"=\", \"000\"]}]}",
     "Value of equals must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\"=\",\"000\"]}]}\"; "
     "line: 1, column: 26]"},
    {"{\"key\": [{\"numeric\": [\">=\"]}]}", "Value of >= must be numeric\n at [Source: "
                                            "(String)\"{\"key\":[{\"numeric\":[\">=\"]}]}\"; line: 1, column: 26]"},
    {"{\"key\": [{\"numeric\": [\"<\", 100, \">\", 10]}]}",
     "Too many elements in numeric expression\n at [Source: (String)\"{\"key\":[{\"numeric\":[\"<\",100,"
     "\">\",10]}]}\"; line: 1, column: 30]"},
    {"{\"key\": [{\"numeric\": [\">=\", 1, \">\", 2]}]}",
     "Bad numeric range operator: >\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">=\",1,\">\",2]}]}\"; "
     "line: 1, column: 31]"},
    {"{\"key\": [{\"numeric\": [\">\", 3, \"<\", 1]}]}",
     "Bottom must be less than top\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",3,\"<\",1]}]}\"; "
     "line: 1, column: 33]"},
    {"{\"key\": [{\"numeric\": [\">\", 20, \"<=\"]}]}",
     "Value of <= must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"<=\"]}]}\"; "
     "line: 1, column: 33]"},
    {"{\"key\": [{\"numeric\": [\">\", 20, 30]}]}",
     "Bad value in numeric range: 30\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,30]}]}\"; "
     "line: 1, column: 30]"},
    {"{\"key\": [{\"numeric\": [\">\", 20, \"test\"]}]}",
     "Bad numeric range operator: test\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"test\"]}]}\"; "
     "line: 1, column: 34]"},
    {"{\"key\": [{\"numeric\": [\">\", \"20\", \"<\", \"30\"]}]}",
     "Value of > must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",\"20\",\"<\",\"30\"]}]}\"; "
     "line: 1, column: 26]"},
    {"{\"key\": [{\"numeric\": [\">\", 20, \"<\", \"30\"]}]}",
     "Value of < must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"<\",\"30\"]}]}\"; "
     "line: 1, column: 33]"},
    {"{\"key\": [{\"numeric\": [\">\", 20, \"<\", 30, \"<\", 50]}]}",
     "Too many terms in numeric range expression\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,"
     "\"<\",30,\"<\",50]}]}\"; line: 1, column: 36]"},
    {"{\"key\": [{\"exists\": null}]}", "exists match pattern must be either true or false.\n at [Source: "
                                       "(String)\"{\"key\":[{\"exists\":null}]}\"; line: 1, column: 23]"},
    {"{\"key\": [{\"exists\": \"no\"}]}", "exists match pattern must be either true or false.\n at [Source: "
                                         "(String)\"{\"key\":[{\"exists\":\"no\"}]}\"; line: 1, column: 20]"},
    {"{\"key\": [{\"anything-but\": {\"wrong-operator\": null}}]}",
     "Unsupported anything-but pattern: wrong-operator\n at [Source: (String)\"{\"key\":[{\"anything-but\":"
     "{\"wrong-operator\":null}}]}\"; line: 1, column: 47]"},
    {"{\"key\": [{\"anything-but\": {\"suffix\": \"test\"}}]}",
     "Unsupported anything-but pattern: suffix\n at [Source: (String)\"{\"key\":[{\"anything-but\":"
     "{\"suffix\":\"test\"}}]}\"; line: 1, column: 36]"},
    {"{\"key\": [{\"anything-but\": {\"exists\": false}}]}",
     "Unsupported anything-but pattern: exists\n at [Source: (String)\"{\"key\":[{\"anything-but\":"
     "{\"exists\":false}}]}\"; line: 1, column: 40]"},
    {"{\"key\": [{\"anything-but\": {\"prefix\": false}}]}",
     "prefix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"anything-but\":"
     "{\"prefix\":false}}]}\"; line: 1, column: 40]"},
};

/* The parameters are indices: Criterion runs each case in a re-executed worker, where pointers would not hold. */
static size_t *indices(size_t n)
{
    size_t *ix = cr_malloc(n * sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    return ix;
}

static void free_indices(struct criterion_test_params *params)
{
    cr_free(params->params);
}

ParameterizedTestParameters(sns_filter, refusals_as_aws_answered)
{
    size_t n = sizeof aws_answers / sizeof aws_answers[0];
    return cr_make_param_array(size_t, indices(n), n, free_indices);
}

ParameterizedTest(size_t *i, sns_filter, refusals_as_aws_answered)
{
    const struct refusal *c = &aws_answers[*i];
    char *err = compile_err(c->policy, strlen(c->policy));
    cr_assert_str_eq(err, c->message);
    free(err);
}

/* The texts of AWS's matching library (and the guesses, see sns_filter.c): the message before the position. */
static const struct refusal library_texts[] = {
    {"{\"k\": []}", "Empty arrays are not allowed"},
    {"{\"k\": {}}", "Empty objects are not allowed"},
    {"{}", "Empty objects are not allowed"},
    {"[1]", "Filter is not an object"},
    {"\"text\"", "Filter is not an object"},
    {"{\"k\": [{}]}", "Match expression name not found"},
    {"{\"k\": [{\"prefix\": 1}]}", "prefix match pattern must be a string"},
    {"{\"k\": [{\"equals-ignore-case\": 1}]}", "equals-ignore-case match pattern must be a string"},
    {"{\"k\": [{\"numeric\": 5}]}", "Value of numeric must be an array."},
    {"{\"k\": [{\"numeric\": [\"<\", 5], \"x\": 1}]}", "Too many elements in numeric expression"},
    {"{\"k\": [{\"anything-but\": {}}]}", "Anything-But expression name not found"},
    {"{\"k\": [{\"anything-but\": {\"prefix\": \"\"}}]}", "Null prefix not allowed"},
    {"{\"k\": [{\"anything-but\": true}]}", "Value of anything-but must be an array or single string/number value."},
    {"{\"k\": [{\"anything-but\": [\"a\", null]}]}", "Inside anything but list, start|null|boolean is not supported."},
    {"{\"k\": [{\"anything-but\": [\"a\", 1]}]}",
     "Inside anything but list, either all values are number or string, mixed type is not supported"},
    {"{\"k\": [{\"anything-but\": []}]}",
     "Inside anything but list, either all values are number or string, mixed type is not supported"},
    {"{\"$or\": {\"a\": [1]}}", "It must be an Array followed with $or."},
    {"{\"$or\": [{\"a\": [1]}, 2]}", "Only JSON object is allowed in array of $or relationship."},
    {"{\"$or\": [{\"a\": [1]}]}", "There must have at least 2 Objects in $or relationship."},
    {"{\"$or\": [{\"prefix\": [1]}, {\"b\": [2]}]}",
     "prefix is Ruler reserved fieldName which cannot be used inside $or."},
    {"{\"ip\": [{\"cidr\": 10}]}", "prefix match pattern must be a string"},
    {"{\"ip\": [{\"cidr\": \"10.0.0.0\"}]}", "Malformed CIDR, one '/' required"},
    {"{\"ip\": [{\"cidr\": \"10.0.0.0/x\"}]}", "Malformed CIDR, mask bits must be an integer"},
    {"{\"ip\": [{\"cidr\": \"10.0.0.256/8\"}]}", "Nonstandard IP address: 10.0.0.256"},
    {"{\"ip\": [{\"cidr\": \"10.0.0.0/33\"}]}", "Malformed CIDR, mask bits must be between 0 and 32"},
    {"{\"ip\": [{\"cidr\": \"2001:db8::/129\"}]}", "Malformed CIDR, mask bits must be between 0 and 128"},
    {"{\"k\": [\"a\"", "failed to parse JSON."},
    {"not json", "failed to parse JSON."},
};

ParameterizedTestParameters(sns_filter, refusals_of_the_library)
{
    size_t n = sizeof library_texts / sizeof library_texts[0];
    return cr_make_param_array(size_t, indices(n), n, free_indices);
}

ParameterizedTest(size_t *i, sns_filter, refusals_of_the_library)
{
    const struct refusal *c = &library_texts[*i];
    char *err = compile_err(c->policy, strlen(c->policy));
    size_t n = strlen(c->message);
    cr_assert(strncmp(err, c->message, n) == 0 && (err[n] == '\0' || strncmp(err + n, "\n at [Source: ", 13) == 0),
              "%s: got \"%s\", want \"%s\"", c->policy, err, c->message);
    free(err);
}

Test(sns_filter, cidr_refusals_carry_no_position)
{
    const char *p = "{\"ip\":[{\"cidr\":\"10.0.0.0\"}]}";
    char *err = compile_err(p, strlen(p));
    cr_assert_str_eq(err, "Malformed CIDR, one '/' required");
    free(err);
}

Test(sns_filter, long_policies_are_cut_to_500_characters_in_messages)
{
    /* a 580-character policy with its mistake at the end */
    char p[1024];
    char pad[600];
    memset(pad, 'x', 560);
    pad[560] = '\0';
    snprintf(p, sizeof p, "{\"%s\":[\"v\"],\"k\":[[1]]}", pad);
    size_t len = strlen(p);
    char *err = compile_err(p, len);
    char want[1200];
    snprintf(want, sizeof want,
             "Match value must be String, number, true, false, or null\n at [Source: (String)\"%.500s\"[truncated %zu "
             "chars]; line: 1, column: %zu]",
             p, len - 500, len - 3);
    cr_assert_str_eq(err, want);
    free(err);
}

Test(sns_filter, whitespace_and_escapes_do_not_shift_positions)
{
    /* AWS checks the policy re-written without whitespace: the column counts in that text */
    const char *p = "{\n  \"a b\" : [ { \"numeric\" : [ \"<\" , \"x\" ] } ]\n}";
    char *err = compile_err(p, strlen(p));
    cr_assert_str_eq(err, "Value of < must be numeric\n at [Source: (String)\"{\"a b\":[{\"numeric\":[\"<\",\"x\"]}]}\"; "
                          "line: 1, column: 26]");
    free(err);
    /* an escaped quote inside a key is read through */
    const char *q = "{\"a\\\"b\":[{\"nope\":1}]}";
    err = compile_err(q, strlen(q));
    cr_assert_str_eq(err, "Unrecognized match type nope\n at [Source: (String)\"{\"a\\\"b\":[{\"nope\":1}]}\"; "
                          "line: 1, column: 19]");
    free(err);
}
