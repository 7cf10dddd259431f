/* AssumeRoleWithSAML: the role/principal pairs of the assertion's Role attribute decide which
 * role the request may take, as in AWS; the assertion's signature is not checked. A small scan of
 * the assertion's elements by local name (any namespace prefix) is all it needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

#define ROLE_ATTRIBUTE "https://aws.amazon.com/SAML/Attributes/Role"
#define SESSION_ATTRIBUTE "https://aws.amazon.com/SAML/Attributes/RoleSessionName"

typedef struct xml_el {
    const char *attrs, *attrs_end; /* the start tag after its name */
    const char *text, *text_end;   /* its content ("" for an empty element) */
} xml_el_t;

/* The next element named local (prefix ignored) at or after from, before limit: 1 found, 0 not. */
static int element(const char *from, const char *limit, const char *local, xml_el_t *el) {
    size_t n = strlen(local);
    for (const char *p = from; (p = strchr(p, '<')) != NULL && p < limit; p++) {
        const char *name = p + 1, *colon = name;
        while (*colon && !strchr(":> \t\r\n/", *colon))
            colon++;
        if (*colon == ':')
            name = colon + 1;
        if (strncmp(name, local, n) != 0 || !strchr("> \t\r\n/", name[n]))
            continue;
        const char *close = strchr(name + n, '>');
        if (close == NULL)
            return 0;
        el->attrs = name + n;
        el->attrs_end = close;
        if (close[-1] == '/') {
            el->text = el->text_end = close;
            return 1;
        }
        el->text = close + 1;
        const char *end = strstr(el->text, "</");
        el->text_end = end ? end : el->text;
        return 1;
    }
    return 0;
}

/* An attribute's value in el's start tag, copied to req's memory; NULL if absent. */
static const char *attr(nb_req_t *req, const xml_el_t *el, const char *name) {
    size_t n = strlen(name);
    for (const char *p = el->attrs; (p = strstr(p, name)) != NULL && p < el->attrs_end; p += n) {
        if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n' && p[-1] != '\r') || p[n] != '=' ||
            (p[n + 1] != '"' && p[n + 1] != '\''))
            continue;
        const char *end = strchr(p + n + 2, p[n + 1]);
        return end ? nb_req_printf(req, "%.*s", (int)(end - p - n - 2), p + n + 2) : NULL;
    }
    return NULL;
}

static const char *text(nb_req_t *req, const xml_el_t *el) {
    const char *s = el->text, *e = el->text_end;
    while (s < e && strchr(" \t\r\n", *s))
        s++;
    while (e > s && strchr(" \t\r\n", e[-1]))
        e--;
    return nb_req_printf(req, "%.*s", (int)(e - s), s);
}

/* The <Attribute Name=name> element: its extent [*start, *end). */
static int saml_attribute(nb_req_t *req, const char *xml, const char *name, const char **start, const char **end) {
    xml_el_t el;
    for (const char *p = xml; element(p, xml + strlen(xml), "Attribute", &el); p = el.attrs_end) {
        const char *n = attr(req, &el, "Name");
        if (n && strcmp(n, name) == 0) {
            const char *close = strstr(el.attrs_end, "Attribute>");
            *start = el.attrs_end;
            *end = close ? close : xml + strlen(xml);
            return 1;
        }
    }
    return 0;
}

/* Whether a value "role,principal" (either order, as identity providers send both) names the pair. */
static int pair_matches(const char *value, const char *role, const char *principal) {
    const char *comma = strchr(value, ',');
    if (comma == NULL)
        return 0;
    size_t a = (size_t)(comma - value);
    const char *b = comma + 1;
    while (*b == ' ')
        b++;
    return (strlen(role) == a && strncmp(value, role, a) == 0 && strcmp(b, principal) == 0) ||
           (strlen(principal) == a && strncmp(value, principal, a) == 0 && strcmp(b, role) == 0);
}

static nb_step_t check_principal(nb_req_t *req, const char *principal, const char **provider) {
    nb_arn_t a;
    char buf[2100];
    if (nb_arn_parse(principal, &a, buf, sizeof buf) != 0 || strcmp(a.service, "iam") != 0 ||
        strncmp(a.resource, "saml-provider/", 14) != 0 || a.resource[14] == '\0')
        return nb_stop(nb_error_code(req, "ValidationError", 400, "Principal ARN is invalid"));
    *provider = nb_req_printf(req, "%s:%s", a.account, a.resource + 14);
    return NB_GO_ON;
}

/* ENFORCE_IAM=1: the role's trust policy must allow the SAML provider (sts_federated.c), with
 * the assertion's saml:* condition keys. */
static nb_step_t saml_trusted(nb_req_t *req, const char *role, const char *provider_arn, const char *subject,
                              const char *subject_type, const char *issuer, const char *audience) {
    json_t *context = json_object();
    if (context == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    sts_federated_key(req, context, NULL, "saml:sub", subject);
    sts_federated_key(req, context, NULL, "saml:sub_type", subject_type);
    sts_federated_key(req, context, NULL, "saml:iss", issuer);
    sts_federated_key(req, context, NULL, "saml:aud", audience);
    nb_step_t step = sts_federated_check(req, role, "sts:AssumeRoleWithSAML", provider_arn, context);
    json_decref(context);
    return step;
}

nb_result_t sts_assume_role_with_saml(nb_req_t *req, const json_t *input) {
    const char *role = nb_json_str(input, "RoleArn"), *principal = nb_json_str(input, "PrincipalArn");
    const char *assertion = nb_json_str(input, "SAMLAssertion"), *provider;
    json_int_t packed;
    NB_TRY(check_principal(req, principal, &provider));
    NB_TRY(sts_check_policy_and_tags(req, input, &packed));
    size_t len = strlen(assertion);
    char *xml = nb_req_alloc(req, NB_BASE64_DECODED_SIZE(len));
    if (xml == NULL)
        return NB_FAILED(NB_ENOMEM);
    if (nb_base64_decode(assertion, len, 0, xml, NB_BASE64_DECODED_SIZE(len)) < 0 || strstr(xml, "Assertion") == NULL)
        return nb_error(req, "InvalidIdentityToken", "Invalid base64 SAMLResponse (Response is not a valid SAML 2.0 document)");

    const char *start, *end;
    int granted = 0;
    if (saml_attribute(req, xml, ROLE_ATTRIBUTE, &start, &end)) {
        xml_el_t v;
        for (const char *p = start; !granted && element(p, end, "AttributeValue", &v); p = v.text_end)
            granted = pair_matches(text(req, &v), role, principal);
    }
    if (!granted)
        return nb_error_code(req, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML");

    xml_el_t el;
    const char *session = NULL, *subject = NULL, *subject_type = NULL, *issuer = NULL, *audience = NULL;
    if (saml_attribute(req, xml, SESSION_ATTRIBUTE, &start, &end) && element(start, end, "AttributeValue", &el))
        session = text(req, &el);
    if (element(xml, xml + strlen(xml), "NameID", &el)) {
        subject = text(req, &el);
        const char *format = attr(req, &el, "Format");
        const char *last = format ? strrchr(format, ':') : NULL;
        subject_type = last ? last + 1 : format;
    }
    if (element(xml, xml + strlen(xml), "Issuer", &el))
        issuer = text(req, &el);
    if (element(xml, xml + strlen(xml), "Audience", &el))
        audience = text(req, &el);
    if (session == NULL || *session == '\0')
        session = subject;
    if (session == NULL || *session == '\0')
        return nb_error(req, "InvalidIdentityToken", "No RoleSessionName attribute in the SAML assertion");
    NB_TRY(sts_check_name(req, "roleSessionName", session));
    NB_TRY(saml_trusted(req, role, principal, subject, subject_type, issuer, audience));

    json_t *reply = json_object();
    nb_step_t step = sts_assumed_role(req, role, session, nb_json_int(input, "DurationSeconds", 3600), reply);
    if (nb_stopped(step)) {
        json_decref(reply);
        return nb_step_result(step);
    }
    if (subject)
        json_object_set_new(reply, "Subject", json_string(subject));
    if (subject_type)
        json_object_set_new(reply, "SubjectType", json_string(subject_type));
    if (issuer) {
        json_object_set_new(reply, "Issuer", json_string(issuer));
        /* AWS's NameQualifier: base64(SHA-1(issuer + account + "/" + provider name)) */
        const char *colon = strchr(provider, ':');
        const char *q = nb_req_printf(req, "%s%.*s/%s", issuer, (int)(colon - provider), provider, colon + 1);
        unsigned char d[NB_DIGEST_MAX];
        size_t dn = nb_digest(NB_DIGEST_SHA1, q, strlen(q), d);
        char b64[NB_BASE64_SIZE(20)];
        nb_base64_encode(d, dn, 0, b64, sizeof b64);
        json_object_set_new(reply, "NameQualifier", json_string(b64));
    }
    if (audience)
        json_object_set_new(reply, "Audience", json_string(audience));
    if (packed >= 0)
        json_object_set_new(reply, "PackedPolicySize", json_integer(packed));
    return nb_reply_new(req, reply);
}
