/* PartiQL literals as DynamoDB typed values: 'str' -> S, numbers -> N (DynamoDB numbers, canonical text),
 * true/false -> BOOL, null -> NULL, [..] -> L, {'k': v} -> M, <<..>> -> SS/NS/BS, ? -> the next parameter. */
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

bool pq_at_literal(const pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    switch (t->type) {
    case PQ_STRING: case PQ_NUMBER: case PQ_PARAM: case PQ_LBRACK: case PQ_LBRACE: case PQ_LSET:
        return true;
    case PQ_MINUS:
        return pq_peek(p, 1)->type == PQ_NUMBER;
    case PQ_KEYWORD:
        return pq_tok_is(t, "true") || pq_tok_is(t, "false") || pq_tok_is(t, "null");
    default:
        return false;
    }
}

static json_t *typed(const char *type, json_t *payload)
{
    json_t *v = payload ? json_object() : NULL;
    if (v && json_object_set_new(v, type, payload) == 0)
        return v;
    json_decref(v);
    if (!v)
        json_decref(payload);
    return NULL;
}

static json_t *oom(pq_parser_t *p, json_t *partial)
{
    json_decref(partial);
    ddb_err_oom(p->err);
    return NULL;
}

static json_t *number(pq_parser_t *p)
{
    bool neg = pq_accept(p, PQ_MINUS);
    const pq_tok_t *t = pq_next(p);
    char text[DDB_NUM_TEXT_MAX + 2], canon[DDB_NUM_TEXT_MAX];
    if (t->len + 2 > sizeof text) {
        ddb_err_set(p->err, "%s", ddb_num_message(DDB_NUM_EDIGITS));
        return NULL;
    }
    size_t n = 0;
    if (neg)
        text[n++] = '-';
    memcpy(text + n, t->text, t->len);
    n += t->len;
    /* an exponent beyond a 32-bit integer is refused before any number rule, with no detail */
    const char *e = memchr(t->text, 'e', t->len);
    if (!e)
        e = memchr(t->text, 'E', t->len);
    if (e) {
        const char *d = e + 1 + (e[1] == '+' || e[1] == '-');
        while (d < t->text + t->len && *d == '0')
            d++;
        if (t->text + t->len - d > 9) {
            ddb_err_set(p->err, PQ_MALFORMED);
            return NULL;
        }
    }
    size_t clen;
    ddb_num_status_t st = ddb_num_canonical(text, n, canon, &clen);
    if (st == DDB_NUM_ESYNTAX) {
        p->pos--;
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected token after expression");
        return NULL;
    }
    if (st != DDB_NUM_OK) {
        ddb_err_set(p->err, "%s under %s", ddb_num_message(st), p->lit_path);
        return NULL;
    }
    json_t *v = typed("N", json_stringn(canon, clen));
    return v ? v : oom(p, NULL);
}

/* The next ? bound to its parameter (a copy: the statement may outlive the request). */
static json_t *parameter(pq_parser_t *p)
{
    const pq_tok_t *t = pq_next(p);
    json_t *av = json_array_get(p->params, t->param);
    json_t *payload;
    ddb_type_t type = ddb_value_type(av, &payload);
    if (type == DDB_T_NONE || json_object_size(av) != 1) {
        ddb_err_set(p->err, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        return NULL;
    }
    ddb_num_t num;
    if (type == DDB_T_N && (!json_is_string(payload) || ddb_num_parse(json_string_value(payload),
                                                                      json_string_length(payload), &num) != DDB_NUM_OK)) {
        ddb_err_set(p->err, "The parameter cannot be converted to a numeric value: %s",
                    json_is_string(payload) ? json_string_value(payload) : "");
        return NULL;
    }
    json_t *v = json_deep_copy(av);
    return v ? v : oom(p, NULL);
}

/* The closing bracket of a list, map or set `c` being built, then `c` as a typed value of `type`. */
static json_t *close_collection(pq_parser_t *p, pq_tok_type_t close, const char *type, json_t *c)
{
    if (pq_expect(p, close) != 0) {
        json_decref(c);
        return NULL;
    }
    json_t *v = typed(type, c);
    return v ? v : oom(p, NULL);
}

/* A literal nested under the current one, with its place appended to p->lit_path for the messages. */
static json_t *nested(pq_parser_t *p, const char *fmt, const char *key, size_t index)
{
    size_t len = strlen(p->lit_path);
    if (key)
        snprintf(p->lit_path + len, sizeof p->lit_path - len, fmt, key);
    else
        snprintf(p->lit_path + len, sizeof p->lit_path - len, fmt, index);
    json_t *v = pq_parse_literal(p);
    if (v)
        p->lit_path[len] = '\0';
    return v;
}

static json_t *list(pq_parser_t *p)
{
    pq_next(p);
    json_t *l = json_array();
    if (!l)
        return oom(p, NULL);
    if (!pq_accept(p, PQ_RBRACK)) {
        do {
            json_t *v = nested(p, "[%zu]", NULL, json_array_size(l));
            if (!v) {
                json_decref(l);
                return NULL;
            }
            if (json_array_append_new(l, v) != 0)
                return oom(p, l);
        } while (pq_accept(p, PQ_COMMA));
        return close_collection(p, PQ_RBRACK, "L", l);
    }
    json_t *v = typed("L", l);
    return v ? v : oom(p, NULL);
}

static json_t *map(pq_parser_t *p)
{
    bool item = !p->lit_path[0]; /* the item of an INSERT (the caller leaves the path empty) */
    pq_next(p);
    json_t *m = json_object();
    if (!m)
        return oom(p, NULL);
    if (!pq_accept(p, PQ_RBRACE)) {
        do {
            const pq_tok_t *k = pq_peek(p, 0);
            if (k->type != PQ_STRING) {
                pq_term_error(p);
                json_decref(m);
                return NULL;
            }
            pq_next(p);
            char *key = strndup(k->text, k->len);
            if (!key)
                return oom(p, m);
            if (json_object_get(m, key)) {
                ddb_err_set(p->err, "Duplicate keys in tuple. Key: %s under %s", key, item ? "root" : p->lit_path);
                free(key);
                json_decref(m);
                return NULL;
            }
            /* an item's attributes are each a "root" of their own in DynamoDB's messages */
            json_t *v = pq_expect(p, PQ_COLON) == 0 ? nested(p, item ? "root" : ".%s", key, 0) : NULL;
            int rc = v ? json_object_set_new(m, key, v) : -1;
            free(key);
            if (!v) {
                json_decref(m);
                return NULL;
            }
            if (rc != 0)
                return oom(p, m);
        } while (pq_accept(p, PQ_COMMA));
        return close_collection(p, PQ_RBRACE, "M", m);
    }
    json_t *v = typed("M", m);
    return v ? v : oom(p, NULL);
}

/* The elements of a set as DynamoDB lists them in its duplicates message: "[a, a]". */
static void set_text(const json_t *elems, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (size_t i = 0; i < json_array_size(elems) && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", json_string_value(json_array_get(elems, i)));
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

/* <<e, ..>>: string or number literals only (a ? is not accepted inside), all of one kind. */
static json_t *set(pq_parser_t *p)
{
    static const char *const BAG_TYPES = "Unsupported data type in Bag. DynamoDB only supports either numbers or "
                                         "strings in bags";
    pq_next(p);
    if (pq_peek(p, 0)->type == PQ_RSET) {
        ddb_err_set(p->err, "Empty bags are not supported");
        return NULL;
    }
    json_t *elems = json_array();
    if (!elems)
        return oom(p, NULL);
    ddb_type_t type = DDB_T_NONE;
    bool dup = false;
    do {
        pq_tok_type_t tt = pq_peek(p, 0)->type;
        bool scalar = tt == PQ_STRING || tt == PQ_NUMBER || (tt == PQ_MINUS && pq_peek(p, 1)->type == PQ_NUMBER);
        if (!scalar && pq_at_literal(p)) {
            ddb_err_set(p->err, "%s", BAG_TYPES);
            json_decref(elems);
            return NULL;
        }
        json_t *payload, *v = pq_parse_literal(p);
        if (!v) {
            json_decref(elems);
            return NULL;
        }
        ddb_type_t t = ddb_value_type(v, &payload);
        if (type != DDB_T_NONE && t != type) {
            ddb_err_set(p->err, "%s", BAG_TYPES);
            json_decref(v);
            json_decref(elems);
            return NULL;
        }
        type = t;
        for (size_t i = 0; i < json_array_size(elems) && !dup; i++) {
            json_t *o = json_pack("{sO}", ddb_type_name(t), json_array_get(elems, i));
            if (!o) {
                json_decref(v);
                return oom(p, elems);
            }
            dup = ddb_value_equal(o, v);
            json_decref(o);
        }
        int rc = json_array_append(elems, payload);
        json_decref(v);
        if (rc != 0)
            return oom(p, elems);
    } while (pq_accept(p, PQ_COMMA));
    if (pq_expect(p, PQ_RSET) != 0) {
        json_decref(elems);
        return NULL;
    }
    if (dup) {
        char list[512];
        set_text(elems, list, sizeof list);
        ddb_err_set(p->err, "One or more parameter values were invalid: Input collection %s contains duplicates.", list);
        json_decref(elems);
        return NULL;
    }
    json_t *v = typed(type == DDB_T_S ? "SS" : "NS", elems);
    return v ? v : oom(p, NULL);
}

json_t *pq_parse_literal(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    json_t *v;
    switch (t->type) {
    case PQ_STRING:
        pq_next(p);
        v = typed("S", json_stringn(t->text, t->len));
        return v ? v : oom(p, NULL);
    case PQ_NUMBER: case PQ_MINUS:
        if (t->type == PQ_MINUS && pq_peek(p, 1)->type != PQ_NUMBER)
            break;
        return number(p);
    case PQ_PARAM:
        return parameter(p);
    case PQ_LBRACK:
        return list(p);
    case PQ_LBRACE:
        return map(p);
    case PQ_LSET:
        return set(p);
    case PQ_KEYWORD:
        if (pq_tok_is(t, "true") || pq_tok_is(t, "false")) {
            pq_next(p);
            v = typed("BOOL", json_boolean(pq_tok_is(t, "true")));
            return v ? v : oom(p, NULL);
        }
        if (pq_tok_is(t, "null")) {
            pq_next(p);
            v = typed("NULL", json_true());
            return v ? v : oom(p, NULL);
        }
        break;
    default:
        break;
    }
    pq_unexpected(p);
    return NULL;
}
