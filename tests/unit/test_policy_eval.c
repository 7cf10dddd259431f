/* The policy evaluator (core/authz/policy_eval.c): AWS's decision over statements, wildcards and
 * condition operators, without a server. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "authz/policy_eval.h"

static json_t *doc(const char *text) {
    json_t *d = json_loads(text, 0, NULL);
    cr_assert_not_null(d, "%s", text);
    return d;
}

/* The decision of `policy` on action/resource with context (JSON text, or NULL). */
static nb_policy_decision_t decide(const char *policy, const char *action, const char *resource, const char *context) {
    json_t *p = doc(policy), *ctx = context ? doc(context) : json_object();
    nb_policy_request_t r = {.action = action, .resource = resource, .context = ctx};
    nb_policy_decision_t d = nb__policy_eval(p, &r, NULL);
    json_decref(p);
    json_decref(ctx);
    return d;
}

#define ALLOW_S3 "{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"

Test(policy_eval, wildcards) {
    cr_assert(nb__policy_wildcard("s3:Get*", "s3:GetObject", false));
    cr_assert(nb__policy_wildcard("s3:get*", "S3:GETOBJECT", true));
    cr_assert_not(nb__policy_wildcard("s3:get*", "s3:GetObject", false));
    cr_assert(nb__policy_wildcard("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/a.txt", false));
    cr_assert_not(nb__policy_wildcard("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/ab.txt", false));
    cr_assert(nb__policy_wildcard("*", "", false));
    cr_assert(nb__policy_wildcard("a*b*c", "aXXbYYc", false));
    cr_assert_not(nb__policy_wildcard("a*b*c", "aXXbYY", false));
}

Test(policy_eval, explicit_deny_wins_over_allow) {
    const char *p = "{\"Statement\":[" ALLOW_S3 ",{\"Effect\":\"Deny\",\"Action\":\"s3:DeleteObject\","
                    "\"Resource\":\"arn:aws:s3:::prod/*\"}]}";
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::prod/k", NULL), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(p, "s3:DeleteObject", "arn:aws:s3:::prod/k", NULL), NB_POLICY_EXPLICIT_DENY);
    cr_assert_eq(decide(p, "s3:DeleteObject", "arn:aws:s3:::dev/k", NULL), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(p, "sqs:SendMessage", "*", NULL), NB_POLICY_IMPLICIT_DENY);
}

Test(policy_eval, statement_object_and_matched_indexes) {
    json_t *p = doc("{\"Statement\":" ALLOW_S3 "}"), *matched = json_array(), *ctx = json_object();
    nb_policy_request_t r = {.action = "s3:PutObject", .resource = "arn:aws:s3:::b/k", .context = ctx};
    cr_assert_eq(nb__policy_eval(p, &r, matched), NB_POLICY_ALLOWED);
    cr_assert_eq(json_array_size(matched), 1);
    cr_assert_eq(json_integer_value(json_array_get(matched, 0)), 0);
    json_decref(p);
    json_decref(matched);
    json_decref(ctx);
}

Test(policy_eval, not_action_and_not_resource) {
    const char *p = "{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\"],"
                    "\"NotResource\":\"arn:aws:s3:::secret/*\"}}";
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::open/k", NULL), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(p, "iam:CreateUser", "*", NULL), NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::secret/k", NULL), NB_POLICY_IMPLICIT_DENY);
}

#define WITH(cond) "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":" cond "}}"

Test(policy_eval, string_and_arn_operators) {
    const char *like = WITH("{\"StringLike\":{\"s3:prefix\":[\"home/${aws:username}/*\",\"public/*\"]}}");
    cr_assert_eq(decide(like, "s3:ListBucket", "*", "{\"s3:prefix\":[\"public/a\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(like, "s3:ListBucket", "*", "{\"s3:prefix\":[\"private/a\"]}"), NB_POLICY_IMPLICIT_DENY);
    /* a key absent from the request fails the condition, unless ...IfExists */
    cr_assert_eq(decide(like, "s3:ListBucket", "*", NULL), NB_POLICY_IMPLICIT_DENY);
    const char *if_exists = WITH("{\"StringEqualsIfExists\":{\"aws:RequestedRegion\":\"eu-west-1\"}}");
    cr_assert_eq(decide(if_exists, "ec2:RunInstances", "*", NULL), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(if_exists, "ec2:RunInstances", "*", "{\"aws:requestedregion\":[\"us-east-1\"]}"),
                 NB_POLICY_IMPLICIT_DENY);
    const char *not_eq = WITH("{\"StringNotEquals\":{\"aws:PrincipalTag/team\":\"ops\"}}");
    cr_assert_eq(decide(not_eq, "s3:GetObject", "*", "{\"aws:principaltag/team\":[\"dev\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(not_eq, "s3:GetObject", "*", "{\"aws:principaltag/team\":[\"ops\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *arn = WITH("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:123456789012:topic-*\"}}");
    cr_assert_eq(decide(arn, "sqs:SendMessage", "*", "{\"aws:sourcearn\":[\"arn:aws:sns:us-east-1:123456789012:"
                                                      "topic-a\"]}"),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(decide(arn, "sqs:SendMessage", "*", "{\"aws:sourcearn\":[\"arn:aws:sns:us-east-1:999999999999:"
                                                      "topic-a\"]}"),
                 NB_POLICY_IMPLICIT_DENY);
}

Test(policy_eval, ip_bool_null_numeric_date) {
    const char *ip = WITH("{\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.168.1.7\"]}}");
    cr_assert_eq(decide(ip, "s3:GetObject", "*", "{\"aws:sourceip\":[\"10.200.3.4\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(ip, "s3:GetObject", "*", "{\"aws:sourceip\":[\"192.168.1.7\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(ip, "s3:GetObject", "*", "{\"aws:sourceip\":[\"192.168.1.8\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *not_ip = WITH("{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}");
    cr_assert_eq(decide(not_ip, "s3:GetObject", "*", "{\"aws:sourceip\":[\"11.0.0.1\"]}"), NB_POLICY_ALLOWED);
    const char *secure = WITH("{\"Bool\":{\"aws:SecureTransport\":true}}");
    cr_assert_eq(decide(secure, "s3:GetObject", "*", "{\"aws:securetransport\":[\"true\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(secure, "s3:GetObject", "*", "{\"aws:securetransport\":[\"false\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *null = WITH("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}");
    cr_assert_eq(decide(null, "s3:GetObject", "*", NULL), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(null, "s3:GetObject", "*", "{\"aws:tokenissuetime\":[\"x\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *num = WITH("{\"NumericLessThanEquals\":{\"s3:max-keys\":\"10\"}}");
    cr_assert_eq(decide(num, "s3:ListBucket", "*", "{\"s3:max-keys\":[\"10\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(num, "s3:ListBucket", "*", "{\"s3:max-keys\":[\"11\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *date = WITH("{\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01T00:00:00Z\"}}");
    cr_assert_eq(decide(date, "s3:GetObject", "*", "{\"aws:currenttime\":[\"2029-12-31T23:59:59Z\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(date, "s3:GetObject", "*", "{\"aws:currenttime\":[\"2030-01-01T00:00:01Z\"]}"),
                 NB_POLICY_IMPLICIT_DENY);
}

Test(policy_eval, set_operators) {
    const char *any = WITH("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}");
    cr_assert_eq(decide(any, "ec2:CreateTags", "*", "{\"aws:tagkeys\":[\"owner\",\"team\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(any, "ec2:CreateTags", "*", "{\"aws:tagkeys\":[\"owner\"]}"), NB_POLICY_IMPLICIT_DENY);
    const char *all = WITH("{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}");
    cr_assert_eq(decide(all, "ec2:CreateTags", "*", "{\"aws:tagkeys\":[\"env\",\"team\"]}"), NB_POLICY_ALLOWED);
    cr_assert_eq(decide(all, "ec2:CreateTags", "*", "{\"aws:tagkeys\":[\"env\",\"owner\"]}"), NB_POLICY_IMPLICIT_DENY);
    /* ForAllValues over no values holds (AWS's documented pitfall) */
    cr_assert_eq(decide(all, "ec2:CreateTags", "*", NULL), NB_POLICY_ALLOWED);
}

Test(policy_eval, condition_keys_listed_once_lower_case) {
    json_t *p = doc(WITH("{\"StringLike\":{\"s3:Prefix\":\"a\"},\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"},"
                         "\"StringEquals\":{\"S3:prefix\":\"b\"}}")),
           *keys = json_array();
    nb__policy_condition_keys(p, keys);
    cr_assert_eq(json_array_size(keys), 2);
    json_decref(p);
    json_decref(keys);
}

/* ---- resource policies: Principal / NotPrincipal (principal_match.c) */

/* The decision of a resource policy whose one statement names `principal`, for the caller arn. */
static nb_policy_decision_t as_resource(const char *principal, const char *arn, const char *account) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"Statement\":{\"Effect\":\"Allow\",%s,\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}}",
             principal);
    json_t *p = doc(text), *ctx = json_object();
    nb_policy_request_t r = {.action = "s3:GetObject", .resource = "arn:aws:s3:::b/k", .context = ctx,
                             .principal_arn = arn, .principal_account = account};
    nb_policy_decision_t d = nb__policy_eval(p, &r, NULL);
    json_decref(p);
    json_decref(ctx);
    return d;
}

#define SESSION "arn:aws:sts::111111111111:assumed-role/reader/sess"
#define USER "arn:aws:iam::111111111111:user/alice"

Test(policy_eval, principal_star_account_and_root) {
    cr_assert_eq(as_resource("\"Principal\":\"*\"", USER, "111111111111"), NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"*\"}", USER, "111111111111"), NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"111111111111\"}", SESSION, "111111111111"), NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"}", USER, "111111111111"),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"222222222222\"}", USER, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::222222222222:root\"}", USER, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
}

/* principal_account "": only the caller's own ARN names it (gateway/authz.c asks so whether a trust
 * policy admits a caller by name rather than by its account or "*") */
Test(policy_eval, principal_by_name_only) {
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"" USER "\"}", USER, ""), NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:role/reader\"}", SESSION, ""),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"}", USER, ""),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"111111111111\"}", USER, ""), NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"*\"}", USER, ""), NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":\"*\"", USER, ""), NB_POLICY_IMPLICIT_DENY);
}

Test(policy_eval, principal_role_names_its_sessions_user_itself) {
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:role/team/reader\"}", SESSION,
                             "111111111111"),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:role/read\"}", SESSION, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY); /* a prefix of the name is not the role */
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::222222222222:role/reader\"}", SESSION,
                             "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":[\"arn:aws:iam::111111111111:user/bob\",\"" USER "\"]}", USER,
                             "111111111111"),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:user/bob\"}", USER, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"AWS\":\"" SESSION "\"}", SESSION, "111111111111"), NB_POLICY_ALLOWED);
}

Test(policy_eval, principal_service_and_not_principal) {
    cr_assert_eq(as_resource("\"Principal\":{\"Service\":\"logging.s3.amazonaws.com\"}", USER, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"Principal\":{\"Service\":\"logging.s3.amazonaws.com\"}", "logging.s3.amazonaws.com",
                             NULL),
                 NB_POLICY_ALLOWED);
    /* a Service "account id" never names an account's principals */
    cr_assert_eq(as_resource("\"Principal\":{\"Service\":\"111111111111\"}", USER, "111111111111"),
                 NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"NotPrincipal\":{\"AWS\":\"" USER "\"}", USER, "111111111111"), NB_POLICY_IMPLICIT_DENY);
    cr_assert_eq(as_resource("\"NotPrincipal\":{\"AWS\":\"" USER "\"}", SESSION, "111111111111"), NB_POLICY_ALLOWED);
    /* neither: a resource policy's statement without a principal names nobody */
    cr_assert_eq(as_resource("\"Sid\":\"none\"", USER, "111111111111"), NB_POLICY_IMPLICIT_DENY);
}

Test(policy_eval, resource_policy_deny_for_a_principal) {
    json_t *p = doc("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"*\"},"
                    "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"222222222222\"},\"Action\":\"sqs:SendMessage\","
                    "\"Resource\":\"*\"}]}"),
           *ctx = json_object();
    nb_policy_request_t r = {.action = "sqs:SendMessage", .resource = "arn:aws:sqs:us-east-1:1:q", .context = ctx,
                             .principal_arn = "arn:aws:iam::222222222222:user/x", .principal_account = "222222222222"};
    cr_assert_eq(nb__policy_eval(p, &r, NULL), NB_POLICY_EXPLICIT_DENY);
    r.principal_arn = USER;
    r.principal_account = "111111111111";
    cr_assert_eq(nb__policy_eval(p, &r, NULL), NB_POLICY_ALLOWED);
    /* as an identity policy (no principal asked) the Principal elements are not read */
    r.principal_arn = r.principal_account = NULL;
    cr_assert_eq(nb__policy_eval(p, &r, NULL), NB_POLICY_EXPLICIT_DENY);
    json_decref(p);
    json_decref(ctx);
}

Test(policy_eval, policy_variables_in_resources) {
    const char *p = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                    "\"Resource\":\"arn:aws:s3:::home/${aws:username}/*\"}}";
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::home/alice/k", "{\"aws:username\":[\"alice\"]}"),
                 NB_POLICY_ALLOWED);
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::home/bob/k", "{\"aws:username\":[\"alice\"]}"),
                 NB_POLICY_IMPLICIT_DENY);
    /* no value: the statement matches nothing, not even an empty name */
    cr_assert_eq(decide(p, "s3:GetObject", "arn:aws:s3:::home//k", NULL), NB_POLICY_IMPLICIT_DENY);
    const char *star = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::a${*}b\"}}";
    cr_assert_eq(decide(star, "s3:GetObject", "arn:aws:s3:::a*b", NULL), NB_POLICY_ALLOWED);
}

Test(policy_eval, uses_context_only_for_conditions_and_variables) {
    json_t *plain = doc("{\"Statement\":[" ALLOW_S3 "]}"),
           *cond = doc("{\"Statement\":[" ALLOW_S3 ",{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
                       "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"),
           *var = doc("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotResource\":[\"a\",\"${aws:userid}\"]}}");
    cr_assert_not(nb__policy_uses_context(plain));
    cr_assert(nb__policy_uses_context(cond));
    cr_assert(nb__policy_uses_context(var));
    json_decref(plain);
    json_decref(cond);
    json_decref(var);
}
