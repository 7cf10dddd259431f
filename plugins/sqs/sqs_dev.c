/* LocalStack's SQS developer endpoint: the messages of a queue without receiving them (no
 * visibility change, no receive count), answered as a ReceiveMessage result.
 *
 *   GET|POST /_aws/sqs/messages?QueueUrl=<url>            (or QueueUrl as a form or JSON member:
 *                                                          an AWS SDK pointed at this path works)
 *   GET      /_aws/sqs/messages/<region>/<account>/<name>
 *   ShowInvisible=true: also messages received and not yet visible again (Attributes.IsVisible)
 *   ShowDelayed=true:   also messages still delayed (Attributes.IsDelayed)
 *
 * The answer's protocol follows the request: JSON for Content-Type application/x-amz-json-1.0
 * (current SDKs), else the query protocol's XML, or with "Accept: application/json" that XML's
 * JSON form ({"ReceiveMessageResponse": {"ReceiveMessageResult": {"Message": [...]}}}). Every
 * message carries all its attributes and the receipt handle "SQS/BACKDOOR/ACCESS", which no
 * operation accepts, as in LocalStack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sqs_plugin.h"
#include "sqs_util.h"

#define PREFIX "/_aws/sqs/"
#define BACKDOOR_RECEIPT "SQS/BACKDOOR/ACCESS"
#define XMLNS "http://queue.amazonaws.com/doc/2012-11-05/"

typedef enum { OUT_XML, OUT_JSON, OUT_XML_AS_JSON } out_form_t;

/* Adds the name=value pairs of a query string or form body to params (first one wins). */
static void add_pairs(json_t *params, const char *text, size_t len) {
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *kend = eq ? eq : stop;
        char key[64], value[2048];
        ssize_t kn = nb_url_decode(p, (size_t)(kend - p), NB_URL_FORM | NB_URL_LENIENT, key, sizeof key);
        ssize_t vn = eq ? nb_url_decode(eq + 1, (size_t)(stop - eq - 1), NB_URL_FORM | NB_URL_LENIENT, value,
                                        sizeof value)
                        : 0;
        if (kn > 0 && vn >= 0 && !json_object_get(params, key)) {
            key[kn] = '\0';
            json_object_set_new(params, key, json_stringn(value, (size_t)vn));
        }
        p = stop + 1;
    }
}

/* The request's parameters: the query string's, then the body's (form or JSON). */
static json_t *request_params(nb_http_t *h, bool json_protocol) {
    json_t *params = json_object();
    const char *query = nb_http_query(h);
    if (query)
        add_pairs(params, query, strlen(query));
    nb_body_t *body = nb_http_body(h);
    int64_t size = nb_body_size(body);
    if (size <= 0 || size > 256 * 1024)
        return params;
    char *text = malloc((size_t)size + 1);
    if (text && nb_body_read(body, 0, text, (size_t)size) == size) {
        text[size] = '\0';
        if (json_protocol) {
            json_t *doc = json_loads(text, 0, NULL);
            if (json_is_object(doc))
                json_object_update_missing(params, doc);
            json_decref(doc);
        } else {
            add_pairs(params, text, (size_t)size);
        }
    }
    free(text);
    return params;
}

static bool flag(const json_t *params, const char *name) {
    const char *v = nb_json_str(params, name);
    return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* Every message of q that a receive would see, and, as asked, those in flight and delayed. */
static json_t *peek(const sqs_queue_t *q, bool invisible, bool delayed) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "SELECT " SQS_MESSAGE_COLUMNS ", visible FROM messages"
                                                " WHERE qid = ?1 AND sent >= ?2 ORDER BY seq");
    json_t *all = json_pack("[s]", "All"), *out = json_array();
    if (s == NULL)
        return out;
    double now = nb_now();
    sqlite3_bind_int64(s, 1, q->qid);
    sqlite3_bind_double(s, 2, now - q->retention);
    while (sqlite3_step(s) == SQLITE_ROW) {
        bool visible = sqlite3_column_double(s, 12) <= now, received = sqlite3_column_int64(s, 6) > 0;
        bool is_delayed = !visible && !received, in_flight = !visible && received;
        if ((in_flight && !invisible) || (is_delayed && !delayed))
            continue;
        json_t *m = sqs_message_json(q, s, all, all, BACKDOOR_RECEIPT);
        if (m == NULL)
            continue;
        json_t *attrs = json_object_get(m, "Attributes");
        if (invisible)
            json_object_set_new(attrs, "IsVisible", json_string(visible ? "true" : "false"));
        if (delayed)
            json_object_set_new(attrs, "IsDelayed", json_string(is_delayed ? "true" : "false"));
        json_array_append_new(out, m);
    }
    sqlite3_reset(s);
    json_decref(all);
    return out;
}

static void xml_text(FILE *b, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", b); break;
        case '<': fputs("&lt;", b); break;
        case '>': fputs("&gt;", b); break;
        case '"': fputs("&quot;", b); break;
        case '\r': fputs("&#xD;", b); break;
        default: fputc(s[i], b);
        }
    }
}

static void xml_member(FILE *b, const char *name, const json_t *v) {
    if (!json_is_string(v))
        return;
    fprintf(b, "<%s>", name);
    xml_text(b, json_string_value(v), json_string_length(v));
    fprintf(b, "</%s>", name);
}

/* The query protocol's ReceiveMessageResponse. */
static void xml_answer(FILE *b, const json_t *messages, const char *request_id) {
    fputs("<?xml version=\"1.0\"?><ReceiveMessageResponse xmlns=\"" XMLNS "\"><ReceiveMessageResult>", b);
    size_t i;
    json_t *m;
    json_array_foreach((json_t *)messages, i, m) {
        fputs("<Message>", b);
        static const char *const plain[] = {"MessageId", "ReceiptHandle", "MD5OfBody", "Body", "MD5OfMessageAttributes"};
        for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
            xml_member(b, plain[k], json_object_get(m, plain[k]));
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(m, "Attributes"), name, v) {
            fputs("<Attribute><Name>", b);
            xml_text(b, name, strlen(name));
            fputs("</Name>", b);
            xml_member(b, "Value", v);
            fputs("</Attribute>", b);
        }
        json_object_foreach(json_object_get(m, "MessageAttributes"), name, v) {
            fputs("<MessageAttribute><Name>", b);
            xml_text(b, name, strlen(name));
            fputs("</Name><Value>", b);
            xml_member(b, "StringValue", json_object_get(v, "StringValue"));
            xml_member(b, "DataType", json_object_get(v, "DataType"));
            fputs("</Value></MessageAttribute>", b);
        }
        fputs("</Message>", b);
    }
    fprintf(b, "</ReceiveMessageResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                     "</ReceiveMessageResponse>", request_id);
}

/* The XML's JSON form, as LocalStack's query serializer writes it for Accept: application/json. */
static json_t *xml_as_json(json_t *messages, const char *request_id) {
    json_t *list = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        json_t *entry = json_deep_copy(m), *attrs = json_array(), *mattrs = json_array();
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(m, "Attributes"), name, v)
            json_array_append_new(attrs, json_pack("{s:s,s:O}", "Name", name, "Value", v));
        json_object_foreach(json_object_get(m, "MessageAttributes"), name, v)
            json_array_append_new(mattrs, json_pack("{s:s,s:O}", "Name", name, "Value", v));
        json_object_del(entry, "Attributes");
        json_object_del(entry, "MessageAttributes");
        json_object_set_new(entry, "Attribute", attrs);
        if (json_array_size(mattrs))
            json_object_set_new(entry, "MessageAttribute", mattrs);
        else
            json_decref(mattrs);
        json_array_append_new(list, entry);
    }
    return json_pack("{s:{s:{s:o},s:{s:s}}}", "ReceiveMessageResponse", "ReceiveMessageResult", "Message", list,
                     "ResponseMetadata", "RequestId", request_id);
}

static void respond_xml(nb_http_t *h, int status, const char *xml) {
    nb_http_reply_header(h, "Content-Type", "text/xml");
    nb_http_respond(h, status, xml, strlen(xml));
}

static void respond_json(nb_http_t *h, out_form_t form, int status, json_t *body_new) {
    char *text = json_dumps(body_new, JSON_COMPACT);
    json_decref(body_new);
    nb_http_reply_header(h, "Content-Type", form == OUT_JSON ? "application/x-amz-json-1.0" : "application/json");
    nb_http_respond(h, text ? status : 500, text, text ? strlen(text) : 0);
    free(text);
}

#define NO_QUEUE "QueueDoesNotExist" /* the query protocol's AWS.SimpleQueueService.NonExistentQueue */

static void respond_error(nb_http_t *h, out_form_t form, int status, const char *code, const char *message) {
    if (form != OUT_JSON && strcmp(code, NO_QUEUE) == 0)
        code = "AWS.SimpleQueueService.NonExistentQueue";
    char id[NB_UUID_SIZE];
    nb_request_id(id);
    if (form == OUT_XML) {
        char *text = NULL;
        size_t len = 0;
        FILE *b = open_memstream(&text, &len);
        if (b == NULL) {
            nb_http_respond(h, 500, NULL, 0);
            return;
        }
        fprintf(b, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" XMLNS "\"><Error><Type>Sender</Type>"
                          "<Code>%s</Code><Message>", code);
        xml_text(b, message, strlen(message));
        fprintf(b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", id);
        fclose(b);
        respond_xml(h, status, text);
        free(text);
        return;
    }
    if (form == OUT_JSON) {
        char type[128];
        snprintf(type, sizeof type, "com.amazonaws.sqs#%s", code);
        respond_json(h, form, status, json_pack("{s:s,s:s}", "__type", type, "message", message));
        return;
    }
    respond_json(h, form, status, json_pack("{s:{s:{s:s,s:s,s:s},s:s}}", "ErrorResponse", "Error", "Type", "Sender", "Code",
                                       code, "Message", message, "RequestId", id));
}

static void dev_handler(nb_http_t *h, void *data) {
    (void)data;
    const char *path = nb_http_path(h), *method = nb_http_method(h);
    const char *ctype = nb_http_header(h, "Content-Type"), *accept = nb_http_header(h, "Accept");
    bool json_protocol = ctype && strncmp(ctype, "application/x-amz-json-1.0", 26) == 0;
    out_form_t form = json_protocol ? OUT_JSON : accept && strstr(accept, "application/json") ? OUT_XML_AS_JSON : OUT_XML;
    const char *rest = path + strlen(PREFIX);
    if (strncmp(rest, "messages", 8) != 0 || (rest[8] != '\0' && rest[8] != '/')) {
        respond_error(h, form, 404, "InvalidAction", "no such SQS developer endpoint (try /_aws/sqs/messages)");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        respond_error(h, form, 405, "InvalidAction", "use GET or POST");
        return;
    }
    json_t *params = request_params(h, json_protocol);
    char account[16], region[32], name[96];
    bool parsed;
    if (rest[8] == '/') { /* /messages/<region>/<account>/<name> */
        char url[256];
        snprintf(url, sizeof url, "/queue/%s", rest + 9);
        parsed = sqs_parse_queue_url(url, account, region, name);
    } else {
        const char *url = nb_json_str(params, "QueueUrl");
        if (url == NULL || *url == '\0') {
            json_decref(params);
            respond_error(h, form, 400, NO_QUEUE, "The specified queue does not exist.");
            return;
        }
        parsed = sqs_parse_queue_url(url, account, region, name);
    }
    if (!parsed) {
        json_decref(params);
        respond_error(h, form, 404, "InvalidAddress", "The address is not valid for this endpoint.");
        return;
    }
    const sqs_queue_t *q = sqs_queue_get(account, region[0] ? region : nb_config_get("DEFAULT_REGION"), name);
    if (q == NULL) {
        json_decref(params);
        respond_error(h, form, 400, NO_QUEUE, "The specified queue does not exist.");
        return;
    }
    json_t *messages = peek(q, flag(params, "ShowInvisible"), flag(params, "ShowDelayed"));
    json_decref(params);
    char id[NB_UUID_SIZE];
    nb_request_id(id);
    if (form == OUT_JSON) {
        respond_json(h, form, 200, json_pack("{s:o}", "Messages", messages));
    } else if (form == OUT_XML_AS_JSON) {
        respond_json(h, form, 200, xml_as_json(messages, id));
        json_decref(messages);
    } else {
        char *text = NULL;
        size_t len = 0;
        FILE *b = open_memstream(&text, &len);
        if (b)
            xml_answer(b, messages, id);
        json_decref(messages);
        if (b == NULL || fclose(b) != 0) {
            nb_http_respond(h, 500, NULL, 0);
            return;
        }
        respond_xml(h, 200, text);
        free(text);
    }
}

int sqs_dev_register(nb_plugin_t *self) { return nb_route_prefix(self, PREFIX, dev_handler, NULL); }
