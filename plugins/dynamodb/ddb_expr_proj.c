/* ProjectionExpression (and AttributesToGet, and the paths an update writes): the listed document
 * paths copied out of an item into the same nested shape. */
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

static const ddb_errcat_t proj_error_order[] = {DDB_E_RESERVED, DDB_E_ATTR_NAME, DDB_E_OVERLAP, DDB_E_CONFLICT};

static ddb_proj_t *proj_new(ddb_err_t *err)
{
    ddb_proj_t *pr = calloc(1, sizeof *pr);
    if (!pr) {
        ddb_err_oom(err);
    }
    return pr;
}

static int proj_reserve(ddb_proj_t *pr, size_t n, ddb_err_t *err)
{
    pr->paths = ddb_arena_alloc(&pr->arena, (n ? n : 1) * sizeof *pr->paths);
    if (!pr->paths) {
        ddb_err_oom(err);
        return -1;
    }
    return 0;
}

ddb_proj_t *ddb_proj_parse(const char *text, ddb_ctx_t *ctx, ddb_err_t *err)
{
    ddb_proj_t *pr = proj_new(err);
    if (!pr)
        return NULL;
    ddb_parser_t p;
    ddb_path_t *paths = NULL;
    size_t n = 0, cap = 0;
    if (ddb_parser_init(&p, DDB_EXPR_PROJECTION, text, ctx, &pr->arena, err) != 0)
        goto fail;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            ddb_path_t *np = realloc(paths, cap * sizeof *np);
            if (!np) {
                ddb_err_oom(err);
                goto fail;
            }
            paths = np;
        }
        if (!ddb_parse_path(&p, &paths[n]))
            goto fail;
        n++;
        const ddb_tok_t *t = ddb_next(&p);
        if (t->type == TK_EOF)
            break;
        if (t->type != TK_COMMA) {
            ddb_syntax_error(&p, (size_t)(t - p.toks));
            goto fail;
        }
    }
    for (size_t j = 1; j < n; j++) {
        for (size_t i = 0; i < j; i++) {
            int rel = ddb_path_relation(&paths[i], &paths[j]);
            if (rel == 0)
                continue;
            char one[512], two[512];
            ddb_path_str(&paths[i], one, sizeof one);
            ddb_path_str(&paths[j], two, sizeof two);
            if (rel == 1)
                ddb_semantic(&p, DDB_E_OVERLAP,
                             "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                             "path one: %s, path two: %s", one, two);
            else
                ddb_semantic(&p, DDB_E_CONFLICT,
                             "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                             "path one: %s, path two: %s", one, two);
        }
    }
    if (ddb_parser_finish(&p, proj_error_order, sizeof proj_error_order / sizeof proj_error_order[0]) != 0)
        goto fail;
    if (proj_reserve(pr, n, err) != 0)
        goto fail;
    memcpy(pr->paths, paths, n * sizeof *paths);
    pr->npaths = n;
    free(paths);
    ddb_parser_done(&p);
    return pr;
fail:
    free(paths);
    ddb_parser_done(&p);
    ddb_proj_free(pr);
    return NULL;
}

ddb_proj_t *ddb_proj_from_attributes_to_get(const json_t *names, ddb_err_t *err)
{
    ddb_proj_t *pr = proj_new(err);
    if (!pr)
        return NULL;
    size_t n = json_array_size(names);
    if (proj_reserve(pr, n, err) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(names, i);
        if (!json_is_string(s))
            continue;
        for (size_t j = 0; j < pr->npaths; j++) {
            const ddb_pelem_t *e = &pr->paths[j].e[0];
            if (e->len == json_string_length(s) && memcmp(e->name, json_string_value(s), e->len) == 0) {
                ddb_err_set(err, "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                            json_string_value(s));
                goto fail;
            }
        }
        ddb_pelem_t *e = ddb_arena_alloc(&pr->arena, sizeof *e);
        if (!e || !(e->name = ddb_arena_strndup(&pr->arena, json_string_value(s), json_string_length(s))))
            goto fail;
        e->len = (uint32_t)json_string_length(s);
        pr->paths[pr->npaths++] = (ddb_path_t){e, 1};
    }
    return pr;
fail:
    ddb_proj_free(pr);
    return NULL;
}

ddb_proj_t *ddb_update_paths(const ddb_update_t *u)
{
    ddb_err_t err;
    ddb_proj_t *pr = proj_new(&err);
    if (!pr || proj_reserve(pr, u ? u->nacts : 0, &err) != 0) {
        ddb_proj_free(pr);
        return NULL;
    }
    /* the paths stay owned by the update's arena: copy them */
    for (size_t i = 0; u && i < u->nacts; i++) {
        const ddb_path_t *src = &u->acts[i].path;
        ddb_pelem_t *e = ddb_arena_alloc(&pr->arena, src->n * sizeof *e);
        if (!e) {
            ddb_proj_free(pr);
            return NULL;
        }
        for (uint16_t k = 0; k < src->n; k++) {
            e[k] = src->e[k];
            if (src->e[k].name && !(e[k].name = ddb_arena_strndup(&pr->arena, src->e[k].name, src->e[k].len))) {
                ddb_proj_free(pr);
                return NULL;
            }
        }
        pr->paths[pr->npaths++] = (ddb_path_t){e, src->n};
    }
    return pr;
}

void ddb_proj_free(ddb_proj_t *pr)
{
    if (!pr)
        return;
    ddb_arena_free(&pr->arena);
    free(pr);
}

/* ---- apply ---- */

static bool elem_equal(const ddb_pelem_t *a, const ddb_pelem_t *b)
{
    if (!a->name != !b->name)
        return false;
    return a->name ? a->len == b->len && memcmp(a->name, b->name, a->len) == 0 : a->index == b->index;
}

/* The projection of typed value `v` through the paths selected by `sel` (indexes into pr->paths), all of
 * which match up to `depth` and continue below it. Returns a new value, or NULL when nothing is found. */
static json_t *project_value(const ddb_proj_t *pr, const size_t *sel, size_t nsel, uint16_t depth, const json_t *v);

/* Copy the members at element `depth` of the selected paths out of container payload `src`. */
static json_t *project_members(const ddb_proj_t *pr, const size_t *sel, size_t nsel, uint16_t depth, const json_t *src,
                               bool list)
{
    json_t *out = list ? json_array() : json_object();
    size_t group[256];
    bool taken_stack[64] = {false};
    bool *taken = nsel <= 64 ? taken_stack : calloc(nsel, sizeof *taken);
    if (!out || !taken) {
        if (taken != taken_stack)
            free(taken);
        json_decref(out);
        return NULL;
    }
    for (;;) {
        /* next group: lists in index order (AWS returns the projected elements in list order) */
        size_t lead = nsel;
        for (size_t i = 0; i < nsel; i++) {
            if (taken[i])
                continue;
            if (lead == nsel || (list && pr->paths[sel[i]].e[depth].index < pr->paths[sel[lead]].e[depth].index))
                lead = i;
        }
        if (lead == nsel)
            break;
        const ddb_pelem_t *key = &pr->paths[sel[lead]].e[depth];
        size_t ng = 0;
        bool whole = false;
        for (size_t i = 0; i < nsel; i++) {
            if (taken[i] || !elem_equal(&pr->paths[sel[i]].e[depth], key))
                continue;
            taken[i] = true;
            if (pr->paths[sel[i]].n == depth + 1)
                whole = true;
            else if (ng < sizeof group / sizeof group[0])
                group[ng++] = sel[i];
        }
        json_t *member = list ? json_array_get(src, key->index) : json_object_getn(src, key->name, key->len);
        if (!member)
            continue;
        json_t *copy = whole ? json_deep_copy(member) : project_value(pr, group, ng, (uint16_t)(depth + 1), member);
        if (!copy)
            continue;
        if (list)
            json_array_append_new(out, copy);
        else
            json_object_setn_new(out, key->name, key->len, copy);
    }
    if (taken != taken_stack)
        free(taken);
    return out;
}

static json_t *project_value(const ddb_proj_t *pr, const size_t *sel, size_t nsel, uint16_t depth, const json_t *v)
{
    if (nsel == 0)
        return NULL;
    json_t *payload;
    ddb_type_t t = ddb_value_type(v, &payload);
    bool want_list = pr->paths[sel[0]].e[depth].name == NULL;
    if (want_list ? t != DDB_T_L : t != DDB_T_M)
        return NULL;
    /* keep only the selected paths whose element here has the container's kind */
    size_t keep[256], nk = 0;
    for (size_t i = 0; i < nsel && nk < sizeof keep / sizeof keep[0]; i++)
        if ((pr->paths[sel[i]].e[depth].name == NULL) == want_list)
            keep[nk++] = sel[i];
    json_t *inner = project_members(pr, keep, nk, depth, payload, want_list);
    if (!inner)
        return NULL;
    if ((want_list ? json_array_size(inner) : json_object_size(inner)) == 0) {
        json_decref(inner);
        return NULL;
    }
    json_t *out = json_object();
    json_object_set_new(out, want_list ? "L" : "M", inner);
    return out;
}

json_t *ddb_proj_apply(const ddb_proj_t *pr, const json_t *item)
{
    if (!item)
        return NULL;
    if (!pr)
        return json_deep_copy(item);
    size_t stack[64] = {0};
    size_t *sel = pr->npaths <= 64 ? stack : malloc(pr->npaths * sizeof *sel);
    if (!sel)
        return NULL;
    for (size_t i = 0; i < pr->npaths; i++)
        sel[i] = i;
    json_t *out = project_members(pr, sel, pr->npaths, 0, item, false);
    if (sel != stack)
        free(sel);
    return out;
}
