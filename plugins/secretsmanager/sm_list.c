#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sm.h"

#define SM_TOKEN_PREFIX "nbsm-"

nb_step_t sm_page_start(nb_req_t *req, const json_t *input, size_t *start) {
    const char *token = nb_json_str(input, "NextToken");
    *start = 0;
    if (token == NULL)
        return NB_GO_ON;
    char *end = NULL;
    unsigned long long n = 0;
    if (strncmp(token, SM_TOKEN_PREFIX, strlen(SM_TOKEN_PREFIX)) == 0)
        n = strtoull(token + strlen(SM_TOKEN_PREFIX), &end, 10);
    if (end == NULL || *end != '\0' || n == 0)
        return nb_stop(nb_error(req, "InvalidNextTokenException", "The NextToken value is invalid."));
    *start = (size_t)n;
    return NB_GO_ON;
}

void sm_page_next(nb_req_t *req, json_t *out, size_t start, size_t count, size_t total) {
    if (start + count < total)
        json_object_set_new(out, "NextToken",
                            json_string(nb_req_printf(req, SM_TOKEN_PREFIX "%zu", start + count)));
}

/* A filter value matches a field by prefix; description and "all" ignore case. */
static bool prefix(const char *field, const char *value, bool nocase) {
    size_t n = strlen(value);
    return field != NULL && (nocase ? strncasecmp(field, value, n) == 0 : strncmp(field, value, n) == 0);
}

/* "all": any word of the field starts with the value. */
static bool word_prefix(const char *field, const char *value) {
    for (const char *p = field; p != NULL && *p; p++) {
        if ((p == field || !isalnum((unsigned char)p[-1])) && prefix(p, value, true))
            return true;
    }
    return false;
}

static bool tags_match(const json_t *tags, const char *member, const char *value, bool all) {
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *field = nb_json_str(t, member);
        if (all ? word_prefix(field, value) : prefix(field, value, false))
            return true;
    }
    return false;
}

static bool value_matches(const sm_secret_t *s, const char *key, const char *value) {
    const json_t *meta = s->meta, *tags = json_object_get(meta, "Tags");
    if (strcmp(key, "name") == 0)
        return prefix(s->name, value, false);
    if (strcmp(key, "description") == 0)
        return prefix(nb_json_str(meta, "Description"), value, true);
    if (strcmp(key, "tag-key") == 0)
        return tags_match(tags, "Key", value, false);
    if (strcmp(key, "tag-value") == 0)
        return tags_match(tags, "Value", value, false);
    if (strcmp(key, "primary-region") == 0)
        return prefix(nb_json_str(meta, "PrimaryRegion"), value, false);
    if (strcmp(key, "owning-service") == 0)
        return prefix(nb_json_str(meta, "OwningService"), value, false);
    /* all: the name, description, tags, primary region and owning service, word by word */
    return word_prefix(s->name, value) || word_prefix(nb_json_str(meta, "Description"), value) ||
           tags_match(tags, "Key", value, true) || tags_match(tags, "Value", value, true) ||
           word_prefix(nb_json_str(meta, "PrimaryRegion"), value) ||
           word_prefix(nb_json_str(meta, "OwningService"), value);
}

/* Filters: every filter must match; within one, any value; a value starting with '!' negates. */
static bool matches(const sm_secret_t *s, const json_t *filters) {
    size_t i, j;
    json_t *f, *v;
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "Key");
        bool any = false;
        json_array_foreach(json_object_get(f, "Values"), j, v) {
            const char *value = json_string_value(v);
            if (value == NULL)
                continue;
            bool neg = value[0] == '!';
            if (value_matches(s, key ? key : "all", value + neg) != neg) {
                any = true;
                break;
            }
        }
        if (!any)
            return false;
    }
    return true;
}

static const char *sort_by_member;

static int compare(const void *a, const void *b) {
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    if (strcmp(sort_by_member, "Name") == 0)
        return strcmp(nb_json_str(x, "Name"), nb_json_str(y, "Name"));
    double dx = nb_json_num(json_object_get(x, "_meta"), sort_by_member, 0);
    double dy = nb_json_num(json_object_get(y, "_meta"), sort_by_member, 0);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp(nb_json_str(x, "Name"), nb_json_str(y, "Name"));
}

nb_step_t sm_list_matching(nb_req_t *req, const json_t *filters, bool include_deleted, const char *sort_by,
                           bool descending, json_t **out) {
    sqlite3_stmt *st = nb_store_scoped(&sm.store, req,
                                       "SELECT arn, name, deletion_date, meta FROM secrets WHERE account = :account"
                                       " AND region = :region");
    if (st == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    json_t *list = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        bool deleted = sqlite3_column_type(st, 2) != SQLITE_NULL;
        if (deleted && !include_deleted)
            continue;
        json_t *meta = sm_meta_parse((const char *)sqlite3_column_text(st, 3));
        sm_secret_t s = {.arn = (const char *)sqlite3_column_text(st, 0),
                         .name = (const char *)sqlite3_column_text(st, 1),
                         .meta = meta,
                         .deleted = deleted};
        if (matches(&s, filters))
            json_array_append_new(list, json_pack("{s:s,s:s,s:o,s:b}", "ARN", s.arn, "Name", s.name, "_meta", meta,
                                                  "_deleted", deleted));
        else
            json_decref(meta);
    }
    sqlite3_reset(st);
    static const struct {
        const char *key, *member;
    } sorts[] = {{"created-date", "CreatedDate"}, {"last-accessed-date", "LastAccessedDate"},
                 {"last-changed-date", "LastChangedDate"}, {"name", "Name"}};
    sort_by_member = "CreatedDate";
    for (size_t i = 0; sort_by && i < NB_STORE_COUNT(sorts); i++) {
        if (strcmp(sort_by, sorts[i].key) == 0)
            sort_by_member = sorts[i].member;
    }
    size_t n = json_array_size(list);
    json_t **items = n ? malloc(n * sizeof *items) : NULL;
    if (n && items == NULL) {
        json_decref(list);
        return nb_stop(NB_FAILED(NB_ENOMEM));
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, compare);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, items[descending ? n - 1 - i : i]);
    free(items);
    *out = list;
    return NB_GO_ON;
}

nb_result_t secretsmanager_list_secrets(nb_req_t *req, const json_t *input) {
    size_t start = 0;
    NB_TRY(sm_page_start(req, input, &start));
    json_t *list = NULL;
    NB_TRY(sm_list_matching(req, json_object_get(input, "Filters"), nb_json_bool(input, "IncludePlannedDeletion", 0),
                            nb_json_str(input, "SortBy"), nb_json_str_eq(input, "SortOrder", "desc"), &list));
    sm_req_keep(req, list);
    size_t max = (size_t)nb_json_int(input, "MaxResults", 100), total = json_array_size(list);
    json_t *entries = json_array();
    json_t *out = json_pack("{s:o}", "SecretList", entries);
    for (size_t i = start; i < total && i < start + max; i++) {
        json_t *row = json_array_get(list, i);
        sm_secret_t s = {.arn = nb_json_str(row, "ARN"), .name = nb_json_str(row, "Name"),
                         .meta = json_object_get(row, "_meta")};
        json_t *e = sm_public_meta(&s);
        json_t *stages = sm_versions_to_stages(sm_value_arn(&s));
        json_object_set_new(e, "SecretVersionsToStages", stages);
        json_array_append_new(entries, e);
    }
    sm_page_next(req, out, start, json_array_size(entries), total);
    return nb_reply_new(req, out);
}
