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
    size_t clen;
    ddb_num_status_t st = ddb_num_canonical(text, n, canon, &clen);
    if (st == DDB_NUM_ESYNTAX) {
        p->pos--;
        pq_unexpected(p);
        return NULL;
    }
    if (st != DDB_NUM_OK) {
        ddb_err_set(p->err, "%s", ddb_num_message(st));
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
    if (ddb_value_type(av, NULL) == DDB_T_NONE || json_object_size(av) != 1) {
        ddb_err_set(p->err, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        return NULL;
    }
    json_t *v = json_deep_copy(av);
    return v ? v : oom(p, NULL);
}

static json_t *list(pq_parser_t *p)
{
    pq_next(p);
    json_t *l = json_array();
    if (!l)
        return oom(p, NULL);
    if (!pq_accept(p, PQ_RBRACK)) {
        do {
            json_t *v = pq_parse_literal(p);
            if (!v) {
                json_decref(l);
                return NULL;
            }
            if (json_array_append_new(l, v) != 0)
                return oom(p, l);
        } while (pq_accept(p, PQ_COMMA));
        if (pq_expect(p, PQ_RBRACK) != 0) {
            json_decref(l);
            return NULL;
        }
    }
    json_t *v = typed("L", l);
    return v ? v : oom(p, NULL);
}

static json_t *map(pq_parser_t *p)
{
    pq_next(p);
    json_t *m = json_object();
    if (!m)
        return oom(p, NULL);
    if (!pq_accept(p, PQ_RBRACE)) {
        do {
            const pq_tok_t *k = pq_peek(p, 0);
            if (k->type != PQ_STRING) {
                pq_unexpected(p);
                json_decref(m);
                return NULL;
            }
            pq_next(p);
            if (pq_expect(p, PQ_COLON) != 0) {
                json_decref(m);
                return NULL;
            }
            json_t *v = pq_parse_literal(p);
            if (!v) {
                json_decref(m);
                return NULL;
            }
            char *key = strndup(k->text, k->len);
            if (!key) {
                json_decref(v);
                return oom(p, m);
            }
            bool dup = json_object_get(m, key) != NULL;
            int rc = dup ? 0 : json_object_set_new(m, key, v);
            if (dup) {
                ddb_err_set(p->err, "Duplicate field name: %s", key);
                json_decref(v);
            }
            free(key);
            if (dup) {
                json_decref(m);
                return NULL;
            }
            if (rc != 0)
                return oom(p, m);
        } while (pq_accept(p, PQ_COMMA));
        if (pq_expect(p, PQ_RBRACE) != 0) {
            json_decref(m);
            return NULL;
        }
    }
    json_t *v = typed("M", m);
    return v ? v : oom(p, NULL);
}

/* <<e, ..>>: every element a string, a number or a binary parameter, all of one type, none repeated. */
static json_t *set(pq_parser_t *p)
{
    const pq_tok_t *open = pq_next(p);
    json_t *elems = json_array();
    if (!elems)
        return oom(p, NULL);
    ddb_type_t type = DDB_T_NONE;
    const char *why = NULL;
    if (pq_peek(p, 0)->type == PQ_RSET) {
        why = "An set may not be empty";
    } else {
        do {
            json_t *payload, *v = pq_parse_literal(p);
            if (!v) {
                json_decref(elems);
                return NULL;
            }
            ddb_type_t t = ddb_value_type(v, &payload);
            if (t != DDB_T_S && t != DDB_T_N && t != DDB_T_B)
                why = "Set elements must be strings, numbers or binaries";
            else if (type != DDB_T_NONE && t != type)
                why = "Set elements must all be of the same type";
            for (size_t i = 0; !why && i < json_array_size(elems); i++) {
                json_t *o = json_object();
                if (!o || json_object_set(o, ddb_type_name(t), json_array_get(elems, i)) != 0) {
                    json_decref(o);
                    json_decref(v);
                    return oom(p, elems);
                }
                if (ddb_value_equal(o, v))
                    why = "Input collection contains duplicates";
                json_decref(o);
            }
            type = t;
            int rc = why ? 0 : json_array_append(elems, payload);
            json_decref(v);
            if (why)
                break;
            if (rc != 0)
                return oom(p, elems);
        } while (pq_accept(p, PQ_COMMA));
    }
    if (why) {
        ddb_err_set(p->err, "One or more parameter values were invalid: %s (set at %u:%u)", why, open->line,
                    open->col);
        json_decref(elems);
        return NULL;
    }
    if (pq_expect(p, PQ_RSET) != 0) {
        json_decref(elems);
        return NULL;
    }
    json_t *v = typed(type == DDB_T_S ? "SS" : type == DDB_T_N ? "NS" : "BS", elems);
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
