/* Parameter names: AWS's naming rules, selectors and hierarchy paths. */
#include <ctype.h>
#include <strings.h>

#include "ssm.h"

static int prefixed(const char *s, const char *prefix) { return strncasecmp(s, prefix, strlen(prefix)) == 0; }

static const char bad_name[] =
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of "
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following "
    "3 symbols .-_";

nb_step_t ssm_check_new_name(nb_req_t *req, const char *name) {
    int levels = 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isalnum(c) && c != '_' && c != '.' && c != '-' && c != '/')
            return nb_stop(nb_error(req, "ValidationException", "%s", bad_name));
        if (c == '/') {
            levels++;
            if (p[1] == '/' || p[1] == '\0')
                return nb_stop(nb_error(req, "ValidationException", "%s", bad_name));
        }
    }
    int is_path = levels > 1 || (levels == 1 && name[0] != '/');
    if (strchr(name, '/') != NULL && name[0] != '/')
        return nb_stop(nb_error(req, "ValidationException", "Parameter name must be a fully qualified name."));
    const char *bare = name[0] == '/' ? name + 1 : name;
    if (prefixed(bare, "aws") || prefixed(bare, "ssm")) {
        if (is_path && prefixed(name, "/aws"))
            return nb_stop(nb_error(req, "AccessDeniedException", "No access to reserved parameter name: %s.", name));
        if (!is_path)
            return nb_stop(nb_error(req, "ValidationException",
                                    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."));
        return nb_stop(nb_error(req, "ValidationException", "%s", bad_name));
    }
    if (levels > SSM_MAX_LEVELS)
        return nb_stop(nb_error(req, "HierarchyLevelLimitExceededException",
                                "A hierarchy can have a maximum of %d levels. For more information, see "
                                "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                                "sysman-parameter-name-constraints.html",
                                SSM_MAX_LEVELS));
    /* the ARN counts: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME at most 1011 characters */
    if (strlen(ssm_param_arn(req, name)) > 1011)
        return nb_stop(nb_error(req, "ValidationException",
                                "Parameter name: the full ARN of a parameter can be at most 1011 characters."));
    return NB_GO_ON;
}

void ssm_split_selector(nb_req_t *req, const char *ref, const char **name, const char **selector) {
    const char *colon = strchr(ref, ':');
    /* a full ARN names the parameter too: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME */
    if (strncmp(ref, "arn:", 4) == 0) {
        const char *res = strstr(ref, ":parameter");
        if (res != NULL) {
            ref = res + strlen(":parameter");
            colon = strchr(ref, ':');
            /* the ARN of a name without a leading slash is parameter/NAME */
            if (ref[0] == '/' && strchr(ref + 1, '/') == NULL)
                ref++;
        }
    }
    if (colon == NULL) {
        *name = ref;
        *selector = NULL;
        return;
    }
    char *n = nb_req_strdup(req, ref);
    n[colon - ref] = '\0';
    *name = n;
    *selector = n + (colon - ref) + 1;
}

int ssm_under_path(const char *name, const char *path, int recursive) {
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    const char *rest;
    if (plen == 1 && path[0] == '/') {
        rest = name[0] == '/' ? name + 1 : name; /* "/" holds the names without a slash too */
    } else {
        if (strncmp(name, path, plen) != 0 || name[plen] != '/')
            return 0;
        rest = name + plen + 1;
    }
    return *rest != '\0' && (recursive || strchr(rest, '/') == NULL);
}
