/* SSM documents answered from state: Create/Get/Describe/List/Update/DeleteDocument, their
 * versions and default version. Nothing runs them (commands and automation answer 501). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "ssm.h"

typedef struct doc {
    const char *name, *content, *format, *type, *version_name, *target_type, *display_name, *hash;
    int64_t version;
    double created;
} doc_t;

#define DOC_COLUMNS "name, version, content, format, type, version_name, target_type, display_name, hash, created"

static void read_doc(nb_req_t *req, sqlite3_stmt *s, doc_t *d) {
    d->name = ssm_col(req, s, 0);
    d->version = sqlite3_column_int64(s, 1);
    d->content = ssm_col(req, s, 2);
    d->format = ssm_col(req, s, 3);
    d->type = ssm_col(req, s, 4);
    d->version_name = ssm_col(req, s, 5);
    d->target_type = ssm_col(req, s, 6);
    d->display_name = ssm_col(req, s, 7);
    d->hash = ssm_col(req, s, 8);
    d->created = sqlite3_column_double(s, 9);
}

/* The document's latest and default version numbers (0 when there is no such document). */
static int versions_of(nb_req_t *req, const char *name, int64_t *latest, int64_t *dflt) {
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT max(d.version), (SELECT default_version FROM doc_defaults f WHERE"
                                          " f.name = ?1 AND f.account = :account AND f.region = :region)"
                                          " FROM documents d WHERE d.name = ?1 AND d.account = :account"
                                          " AND d.region = :region", name);
    if (s == NULL)
        return NB_ESTORE;
    *latest = *dflt = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *latest = sqlite3_column_int64(s, 0);
        *dflt = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return 0;
}

static nb_result_t no_document(nb_req_t *req) {
    return nb_error(req, "InvalidDocument", "The specified document does not exist.");
}

/* The versions of a document that must exist, or InvalidDocument. */
static nb_step_t existing(nb_req_t *req, const char *name, int64_t *latest, int64_t *dflt) {
    if (versions_of(req, name, latest, dflt) != 0)
        return nb_stop(NB_FAILED(NB_ESTORE));
    return *latest == 0 ? nb_stop(no_document(req)) : NB_GO_ON;
}

static nb_result_t bad_version(nb_req_t *req) {
    return nb_error(req, "InvalidDocumentVersion", "The document version is not valid or does not exist.");
}

/* The version a request names by DocumentVersion ($LATEST, $DEFAULT, a number) or VersionName. */
static nb_step_t find_doc(nb_req_t *req, const json_t *in, doc_t *d, int64_t *dflt) {
    const char *name = nb_json_str(in, "Name"), *ver = nb_json_str(in, "DocumentVersion"),
               *vname = nb_json_str(in, "VersionName");
    int64_t latest;
    if (versions_of(req, name, &latest, dflt) != 0)
        return nb_stop(NB_FAILED(NB_ESTORE));
    if (latest == 0)
        return nb_stop(no_document(req));
    int64_t want = *dflt;
    if (ver != NULL && strcmp(ver, "$LATEST") == 0)
        want = latest;
    else if (ver != NULL && strcmp(ver, "$DEFAULT") != 0)
        want = strtoll(ver, NULL, 10);
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT " DOC_COLUMNS " FROM documents WHERE name = ?1 AND"
                                          " (?2 = 0 OR version = ?2) AND (?3 IS NULL OR version_name = ?3)"
                                          " AND account = :account AND region = :region ORDER BY version DESC",
                                     name);
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    /* a version name alone picks that version whatever the default */
    sqlite3_bind_int64(s, 2, vname != NULL && ver == NULL ? 0 : want);
    sqlite3_bind_text(s, 3, vname, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    if (found)
        read_doc(req, s, d);
    sqlite3_reset(s);
    return found ? NB_GO_ON : nb_stop(bad_version(req));
}

/* What a JSON document says of itself: description, schemaVersion, parameters. */
static void describe_content(const doc_t *d, json_t *out) {
    if (strcmp(d->format, "JSON") != 0)
        return;
    json_t *c = json_loads(d->content, 0, NULL);
    if (nb_json_str(c, "description"))
        json_object_set_new(out, "Description", json_string(nb_json_str(c, "description")));
    if (nb_json_str(c, "schemaVersion"))
        json_object_set_new(out, "SchemaVersion", json_string(nb_json_str(c, "schemaVersion")));
    json_t *params = json_array();
    const char *key;
    json_t *p;
    json_object_foreach(json_object_get(c, "parameters"), key, p) {
        json_t *one = json_pack("{s:s}", "Name", key);
        if (nb_json_str(p, "type"))
            json_object_set_new(one, "Type", json_string(nb_json_str(p, "type")));
        if (nb_json_str(p, "description"))
            json_object_set_new(one, "Description", json_string(nb_json_str(p, "description")));
        json_t *dv = json_object_get(p, "default");
        if (dv != NULL) {
            char *text = json_is_string(dv) ? NULL : json_dumps(dv, JSON_COMPACT | JSON_ENCODE_ANY);
            json_object_set_new(one, "DefaultValue", json_string(text ? text : json_string_value(dv)));
            free(text);
        }
        json_array_append_new(params, one);
    }
    json_object_set_new(out, "Parameters", params);
    json_decref(c);
}

static json_t *description(nb_req_t *req, const doc_t *d, int64_t latest, int64_t dflt) {
    json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:s,s:[sss],s:s,s:s,s:s,s:s}", "Hash", d->hash, "HashType",
                            "Sha256", "Name", d->name, "Owner", nb_req_account(req), "CreatedDate", d->created,
                            "Status", "Active", "DocumentVersion", nb_req_printf(req, "%lld", (long long)d->version),
                            "PlatformTypes", "Windows", "Linux", "MacOS", "DocumentType", d->type, "LatestVersion",
                            nb_req_printf(req, "%lld", (long long)latest), "DefaultVersion",
                            nb_req_printf(req, "%lld", (long long)dflt), "DocumentFormat", d->format);
    if (d->version_name)
        json_object_set_new(out, "VersionName", json_string(d->version_name));
    if (d->target_type)
        json_object_set_new(out, "TargetType", json_string(d->target_type));
    if (d->display_name)
        json_object_set_new(out, "DisplayName", json_string(d->display_name));
    describe_content(d, out);
    json_object_set_new(out, "Tags", ssm_tags_of(req, nb_req_printf(req, SSM_DOC_TAG_PREFIX "%s", d->name)));
    return out;
}

static nb_step_t check_content(nb_req_t *req, const char *content, const char *format) {
    if (strcmp(format, "JSON") == 0) {
        json_t *c = json_loads(content, 0, NULL);
        int ok = json_is_object(c);
        json_decref(c);
        if (!ok)
            return nb_stop(nb_error(req, "InvalidDocumentContent", "The content for the document is not valid."));
    }
    return NB_GO_ON;
}

static int insert(nb_req_t *req, const doc_t *d) {
    unsigned char dg[NB_DIGEST_MAX];
    char hex[2 * NB_DIGEST_MAX + 1];
    nb_digest(NB_DIGEST_SHA256, d->content, strlen(d->content), dg);
    nb_hex_encode(dg, 32, 0, hex, sizeof hex);
    sqlite3_stmt *s = ssm_stmt_named(req, "INSERT INTO documents(name, version, content, format, type,"
                                          " version_name, target_type, display_name, hash, created, account, region)"
                                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, :account, :region)",
                                     d->name);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 2, d->version);
    sqlite3_bind_text(s, 3, d->content, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, d->format, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, d->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, d->version_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, d->target_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, d->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 10, d->created);
    return nb_store_run(s);
}

static int set_default(nb_req_t *req, const char *name, int64_t version) {
    sqlite3_stmt *s = ssm_stmt_named(req, "INSERT OR REPLACE INTO doc_defaults(name, default_version, account, region)"
                                          " VALUES(?1, ?2, :account, :region)", name);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 2, version);
    return nb_store_run(s);
}

static nb_result_t describe_version(nb_req_t *req, const char *name, int64_t version, const char *member) {
    json_t *in = json_pack("{s:s,s:s}", "Name", name, "DocumentVersion", nb_req_printf(req, "%lld", (long long)version));
    doc_t d;
    int64_t latest, dflt;
    nb_step_t step = find_doc(req, in, &d, &dflt);
    json_decref(in);
    NB_TRY(step);
    if (versions_of(req, name, &latest, &dflt) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, json_pack("{s:o}", member, description(req, &d, latest, dflt)));
}

nb_result_t ssm_create_document(nb_req_t *req, const json_t *in) {
    doc_t d = {.name = nb_json_str(in, "Name"),
               .content = nb_json_str(in, "Content"),
               .format = nb_json_str(in, "DocumentFormat") ? nb_json_str(in, "DocumentFormat") : "JSON",
               .type = nb_json_str(in, "DocumentType") ? nb_json_str(in, "DocumentType") : "Command",
               .version_name = nb_json_str(in, "VersionName"),
               .target_type = nb_json_str(in, "TargetType"),
               .display_name = nb_json_str(in, "DisplayName"),
               .version = 1,
               .created = nb_now()};
    if (strncasecmp(d.name, "aws", 3) == 0 || strncasecmp(d.name, "amazon", 6) == 0 ||
        strncasecmp(d.name, "amzn", 4) == 0)
        return nb_error(req, "ValidationException",
                        "Document name can't be prefixed with \"aws\", \"amazon\" or \"amzn\" (case-insensitive).");
    int64_t latest, dflt;
    if (versions_of(req, d.name, &latest, &dflt) != 0)
        return NB_FAILED(NB_ESTORE);
    if (latest != 0)
        return nb_error(req, "DocumentAlreadyExists", "The specified document already exists.");
    NB_TRY(check_content(req, d.content, d.format));
    int rc = insert(req, &d);
    if (rc == 0)
        rc = set_default(req, d.name, 1);
    if (rc != 0)
        return NB_FAILED(rc);
    if (json_array_size(json_object_get(in, "Tags")) > 0)
        NB_TRY(ssm_tags_put(req, nb_req_printf(req, SSM_DOC_TAG_PREFIX "%s", d.name), json_object_get(in, "Tags")));
    return describe_version(req, d.name, 1, "DocumentDescription");
}

nb_result_t ssm_get_document(nb_req_t *req, const json_t *in) {
    doc_t d;
    int64_t dflt;
    NB_TRY(find_doc(req, in, &d, &dflt));
    json_t *out = json_pack("{s:s,s:f,s:s,s:s,s:s,s:s,s:s}", "Name", d.name, "CreatedDate", d.created,
                            "DocumentVersion", nb_req_printf(req, "%lld", (long long)d.version), "Status", "Active",
                            "Content", d.content, "DocumentType", d.type, "DocumentFormat", d.format);
    if (d.version_name)
        json_object_set_new(out, "VersionName", json_string(d.version_name));
    if (d.display_name)
        json_object_set_new(out, "DisplayName", json_string(d.display_name));
    return nb_reply_new(req, out);
}

nb_result_t ssm_describe_document(nb_req_t *req, const json_t *in) {
    doc_t d;
    int64_t dflt, latest;
    NB_TRY(find_doc(req, in, &d, &dflt));
    if (versions_of(req, d.name, &latest, &dflt) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, json_pack("{s:o}", "Document", description(req, &d, latest, dflt)));
}

nb_result_t ssm_update_document(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name"), *ver = nb_json_str(in, "DocumentVersion");
    int64_t latest, dflt;
    NB_TRY(existing(req, name, &latest, &dflt));
    if (ver != NULL && strcmp(ver, "$LATEST") != 0 && strtoll(ver, NULL, 10) != latest)
        return bad_version(req);
    json_t *q = json_pack("{s:s,s:s}", "Name", name, "DocumentVersion", "$LATEST");
    doc_t prev;
    nb_step_t step = find_doc(req, q, &prev, &dflt);
    json_decref(q);
    NB_TRY(step);
    doc_t d = prev;
    d.content = nb_json_str(in, "Content");
    d.format = nb_json_str(in, "DocumentFormat") ? nb_json_str(in, "DocumentFormat") : prev.format;
    d.version_name = nb_json_str(in, "VersionName");
    d.target_type = nb_json_str(in, "TargetType") ? nb_json_str(in, "TargetType") : prev.target_type;
    d.display_name = nb_json_str(in, "DisplayName") ? nb_json_str(in, "DisplayName") : prev.display_name;
    d.version = latest + 1;
    d.created = nb_now();
    NB_TRY(check_content(req, d.content, d.format));
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT sum(content = ?2), sum(version_name = ?3) FROM documents"
                                          " WHERE name = ?1 AND account = :account AND region = :region", name);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 2, d.content, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, d.version_name, -1, SQLITE_STATIC);
    int same_content = 0, same_name = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        same_content = sqlite3_column_int(s, 0);
        same_name = sqlite3_column_int(s, 1);
    }
    sqlite3_reset(s);
    if (same_name)
        return nb_error(req, "DuplicateDocumentVersionName", "The specified version name is a duplicate.");
    if (same_content)
        return nb_error(req, "DuplicateDocumentContent", "The content of the association document matches another "
                                                         "document. Change the content of the document and try again.");
    int rc = insert(req, &d);
    return rc != 0 ? NB_FAILED(rc) : describe_version(req, name, d.version, "DocumentDescription");
}

nb_result_t ssm_delete_document(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    int64_t latest, dflt;
    NB_TRY(existing(req, name, &latest, &dflt));
    if (nb_json_str(in, "DocumentVersion") == NULL && nb_json_str(in, "VersionName") == NULL) {
        int rc = nb_store_run(ssm_stmt_named(req, "DELETE FROM documents WHERE name = ?1 AND account = :account"
                                                  " AND region = :region", name));
        if (rc == 0)
            rc = nb_store_run(ssm_stmt_named(req, "DELETE FROM doc_defaults WHERE name = ?1 AND account = :account"
                                                  " AND region = :region", name));
        if (rc == 0)
            rc = nb_store_run(ssm_stmt_named(req, "DELETE FROM tags WHERE name = ?1 AND account = :account"
                                                  " AND region = :region",
                                             nb_req_printf(req, SSM_DOC_TAG_PREFIX "%s", name)));
        return rc != 0 ? NB_FAILED(rc) : nb_reply_new(req, json_object());
    }
    doc_t d;
    NB_TRY(find_doc(req, in, &d, &dflt));
    if (d.version == dflt)
        return nb_error(req, "InvalidDocumentOperation", "Default version of the document can't be deleted.");
    sqlite3_stmt *s = ssm_stmt_named(req, "DELETE FROM documents WHERE name = ?1 AND version = ?2"
                                          " AND account = :account AND region = :region", name);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 2, d.version);
    int rc = nb_store_run(s);
    return rc != 0 ? NB_FAILED(rc) : nb_reply_new(req, json_object());
}

nb_result_t ssm_update_document_default_version(nb_req_t *req, const json_t *in) {
    doc_t d;
    int64_t dflt;
    const char *ver = nb_json_str(in, "DocumentVersion");
    if (strcmp(ver, "$LATEST") == 0 || strcmp(ver, "$DEFAULT") == 0)
        return bad_version(req);
    NB_TRY(find_doc(req, in, &d, &dflt));
    int rc = set_default(req, d.name, d.version);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s}", "Name", d.name, "DefaultVersion",
                            nb_req_printf(req, "%lld", (long long)d.version));
    if (d.version_name)
        json_object_set_new(out, "DefaultVersionName", json_string(d.version_name));
    return nb_reply_new(req, json_pack("{s:o}", "Description", out));
}

nb_result_t ssm_list_document_versions(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    int64_t latest, dflt;
    NB_TRY(existing(req, name, &latest, &dflt));
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT " DOC_COLUMNS " FROM documents WHERE name = ?1"
                                          " AND account = :account AND region = :region ORDER BY version", name);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    json_t *out = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        doc_t d;
        read_doc(req, s, &d);
        json_t *v = json_pack("{s:s,s:s,s:f,s:b,s:s,s:s}", "Name", d.name, "DocumentVersion",
                              nb_req_printf(req, "%lld", (long long)d.version), "CreatedDate", d.created,
                              "IsDefaultVersion", d.version == dflt, "DocumentFormat", d.format, "Status", "Active");
        if (d.version_name)
            json_object_set_new(v, "VersionName", json_string(d.version_name));
        json_array_append_new(out, v);
    }
    sqlite3_reset(s);
    return nb_reply_new(req, json_pack("{s:o}", "DocumentVersions", out));
}

/* ListDocuments: the account's documents at their default version; Filters by Name, DocumentType
 * and Owner (Self, Private, All list these; Amazon and Public: none, Nimbus has no AWS documents). */
static int matches(nb_req_t *req, const doc_t *d, const json_t *in) {
    size_t i, j;
    const json_t *f, *v;
    json_array_foreach(json_object_get(in, "Filters"), i, f) {
        const char *key = nb_json_str(f, "Key");
        int hit = 0;
        json_array_foreach(json_object_get(f, "Values"), j, v) {
            const char *want = json_string_value(v);
            if (strcmp(key, "Name") == 0)
                hit |= strcmp(d->name, want) == 0;
            else if (strcmp(key, "DocumentType") == 0)
                hit |= strcmp(d->type, want) == 0;
            else if (strcmp(key, "Owner") == 0)
                hit |= strcmp(want, "Self") == 0 || strcmp(want, "Private") == 0 || strcmp(want, "All") == 0 ||
                       strcmp(want, nb_req_account(req)) == 0;
            else
                hit = 1;
        }
        if (!hit)
            return 0;
    }
    json_array_foreach(json_object_get(in, "DocumentFilterList"), i, f) {
        const char *key = nb_json_str(f, "key"), *want = nb_json_str(f, "value");
        if ((strcmp(key, "Name") == 0 && strcmp(d->name, want) != 0) ||
            (strcmp(key, "DocumentType") == 0 && strcmp(d->type, want) != 0) ||
            (strcmp(key, "Owner") == 0 && strcmp(want, "Amazon") == 0))
            return 0;
    }
    return 1;
}

nb_result_t ssm_list_documents(nb_req_t *req, const json_t *in) {
    size_t max = (size_t)nb_json_int(in, "MaxResults", 50), offset, seen = 0;
    NB_TRY(ssm_page_start(req, in, &offset));
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "SELECT " DOC_COLUMNS " FROM documents d WHERE account = :account"
                                      " AND region = :region AND version = (SELECT default_version FROM doc_defaults f"
                                      " WHERE f.name = d.name AND f.account = d.account AND f.region = d.region)"
                                      " ORDER BY name");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    json_t *out = json_array();
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        doc_t d;
        read_doc(req, s, &d);
        if (!matches(req, &d, in) || seen++ < offset)
            continue;
        if (json_array_size(out) == max) {
            more = 1;
            break;
        }
        json_t *full = description(req, &d, 0, 0), *id = json_object();
        static const char *const keep[] = {"Name", "CreatedDate", "DisplayName", "Owner", "VersionName",
                                           "PlatformTypes", "DocumentVersion", "DocumentType", "SchemaVersion",
                                           "DocumentFormat", "TargetType", "Tags"};
        for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
            if (json_object_get(full, keep[k]))
                json_object_set(id, keep[k], json_object_get(full, keep[k]));
        json_decref(full);
        json_array_append_new(out, id);
    }
    sqlite3_reset(s);
    return ssm_page_reply(req, "DocumentIdentifiers", out, more, offset);
}
