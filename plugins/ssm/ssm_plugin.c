#include "ssm.h"
#include "ssm_authz.h"

ssm_state_t ssm;

static const char *const ssm_schema[] = {
    /* 1: one row per version of a parameter; labels and tags beside them */
    "CREATE TABLE params(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, version INTEGER NOT NULL,"
    " type TEXT NOT NULL, value TEXT NOT NULL, key_id TEXT, description TEXT, allowed_pattern TEXT,"
    " tier TEXT NOT NULL, policies TEXT, data_type TEXT NOT NULL, user TEXT, modified REAL NOT NULL,"
    " PRIMARY KEY(account, region, name, version));"
    "CREATE TABLE labels(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, version INTEGER NOT NULL,"
    " label TEXT NOT NULL, PRIMARY KEY(account, region, name, label));"
    "CREATE TABLE tags(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(account, region, name, key));"
    "CREATE TABLE settings(" NB_STORE_SCOPE_COLUMNS ", id TEXT NOT NULL, value TEXT NOT NULL, user TEXT,"
    " modified REAL NOT NULL, PRIMARY KEY(account, region, id));"
    /* the key of SecureStrings encrypted without the KMS service: one per installation */
    "CREATE TABLE _local_key(id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);",
    /* 2: documents, one row per version, and each document's default version */
    "CREATE TABLE documents(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, version INTEGER NOT NULL,"
    " content TEXT NOT NULL, format TEXT NOT NULL, type TEXT NOT NULL, version_name TEXT, target_type TEXT,"
    " display_name TEXT, hash TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(account, region, name, version));"
    "CREATE TABLE doc_defaults(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, default_version INTEGER NOT NULL,"
    " PRIMARY KEY(account, region, name));",
    /* 3: associations, one row per version holding its AssociationDescription */
    "CREATE TABLE associations(" NB_STORE_SCOPE_COLUMNS ", id TEXT NOT NULL, version INTEGER NOT NULL,"
    " name TEXT NOT NULL, instance_id TEXT, data TEXT NOT NULL, PRIMARY KEY(account, region, id, version));",
};

static int ssm_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&ssm, 0, sizeof ssm);
    ssm.self = self;
    nb_store_init(&ssm.store, nb_store_db(self));
    if (nb_store_migrate(ssm.store.db, ssm_schema, NB_STORE_COUNT(ssm_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static void ssm_fini(nb_plugin_t *self) {
    (void)self;
    nb_store_fini(&ssm.store);
}

/* Parameter Store, documents, associations and service settings; every other SSM operation answers the core's 501
 * (docs/services/ssm.md lists them). */
static const nb_op_t ssm_ops[] = {
    {"AddTagsToResource", ssm_add_tags_to_resource, 0},
    {"CreateAssociation", ssm_create_association, 0},
    {"CreateDocument", ssm_create_document, 0},
    {"DeleteAssociation", ssm_delete_association, 0},
    {"DeleteDocument", ssm_delete_document, 0},
    {"DescribeAssociation", ssm_describe_association, 0},
    {"DeleteParameter", ssm_delete_parameter, 0},
    {"DeleteParameters", ssm_delete_parameters, 0},
    {"DescribeDocument", ssm_describe_document, 0},
    {"DescribeParameters", ssm_describe_parameters, 0},
    {"GetDocument", ssm_get_document, 0},
    {"GetParameter", ssm_get_parameter, 0},
    {"GetParameterHistory", ssm_get_parameter_history, 0},
    {"GetParameters", ssm_get_parameters, 0},
    {"GetParametersByPath", ssm_get_parameters_by_path, 0},
    {"GetServiceSetting", ssm_get_service_setting, 0},
    {"LabelParameterVersion", ssm_label_parameter_version, 0},
    {"ListAssociationVersions", ssm_list_association_versions, 0},
    {"ListAssociations", ssm_list_associations, 0},
    {"ListDocumentVersions", ssm_list_document_versions, 0},
    {"ListDocuments", ssm_list_documents, 0},
    {"ListTagsForResource", ssm_list_tags_for_resource, 0},
    {"PutParameter", ssm_put_parameter, 0},
    {"RemoveTagsFromResource", ssm_remove_tags_from_resource, 0},
    {"ResetServiceSetting", ssm_reset_service_setting, 0},
    {"UnlabelParameterVersion", ssm_unlabel_parameter_version, 0},
    {"UpdateAssociation", ssm_update_association, 0},
    {"UpdateDocument", ssm_update_document, 0},
    {"UpdateDocumentDefaultVersion", ssm_update_document_default_version, 0},
    {"UpdateServiceSetting", ssm_update_service_setting, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "ssm", .service = "ssm", .api_version = "2014-11-06", .ops = ssm_ops, .init = ssm_init,
                 .fini = ssm_fini, .authz_actions = ssm_actions, .authz_denied_code = "AccessDeniedException");
