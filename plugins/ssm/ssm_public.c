/* The public parameters under /aws/service/ that tools read (regions, availability zones,
 * the latest AMI ids): a small set generated per request's region. AMI ids are made up but
 * stable: the same name and region always give the same id. */
#include <stdio.h>

#include "ssm.h"

typedef struct region_info {
    const char *name, *long_name, *az_prefix; /* az_prefix: AWS's zone-id prefix, "use1" */
    int zones;
} region_info_t;

static const region_info_t regions[] = {
    {"af-south-1", "Africa (Cape Town)", "afs1", 3},
    {"ap-east-1", "Asia Pacific (Hong Kong)", "ape1", 3},
    {"ap-northeast-1", "Asia Pacific (Tokyo)", "apne1", 3},
    {"ap-northeast-2", "Asia Pacific (Seoul)", "apne2", 4},
    {"ap-northeast-3", "Asia Pacific (Osaka)", "apne3", 3},
    {"ap-south-1", "Asia Pacific (Mumbai)", "aps1", 3},
    {"ap-south-2", "Asia Pacific (Hyderabad)", "aps2", 3},
    {"ap-southeast-1", "Asia Pacific (Singapore)", "apse1", 3},
    {"ap-southeast-2", "Asia Pacific (Sydney)", "apse2", 3},
    {"ap-southeast-3", "Asia Pacific (Jakarta)", "apse3", 3},
    {"ap-southeast-4", "Asia Pacific (Melbourne)", "apse4", 3},
    {"ca-central-1", "Canada (Central)", "cac1", 3},
    {"ca-west-1", "Canada West (Calgary)", "caw1", 3},
    {"eu-central-1", "Europe (Frankfurt)", "euc1", 3},
    {"eu-central-2", "Europe (Zurich)", "euc2", 3},
    {"eu-north-1", "Europe (Stockholm)", "eun1", 3},
    {"eu-south-1", "Europe (Milan)", "eus1", 3},
    {"eu-south-2", "Europe (Spain)", "eus2", 3},
    {"eu-west-1", "Europe (Ireland)", "euw1", 3},
    {"eu-west-2", "Europe (London)", "euw2", 3},
    {"eu-west-3", "Europe (Paris)", "euw3", 3},
    {"il-central-1", "Israel (Tel Aviv)", "ilc1", 3},
    {"me-central-1", "Middle East (UAE)", "mec1", 3},
    {"me-south-1", "Middle East (Bahrain)", "mes1", 3},
    {"sa-east-1", "South America (Sao Paulo)", "sae1", 3},
    {"us-east-1", "US East (N. Virginia)", "use1", 6},
    {"us-east-2", "US East (Ohio)", "use2", 3},
    {"us-west-1", "US West (N. California)", "usw1", 2},
    {"us-west-2", "US West (Oregon)", "usw2", 4},
};

/* Image parameters, each an AMI id of the request's region. */
static const char *const images[] = {
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
    "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
};

/* The day the set was generated: the LastModifiedDate every public parameter shows. */
#define PUBLIC_MODIFIED 1764547200.0 /* 2025-12-01T00:00:00Z */

typedef struct builder {
    nb_req_t *req;
    const char *prefix;
    ssm_param_t *list;
    size_t n, cap;
} builder_t;

static void add(builder_t *b, const char *name, const char *value, const char *data_type) {
    if (strncmp(name, b->prefix, strlen(b->prefix)) != 0)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        ssm_param_t *bigger = nb_req_alloc(b->req, cap * sizeof *bigger);
        if (bigger == NULL)
            return;
        if (b->n)
            memcpy(bigger, b->list, b->n * sizeof *bigger);
        b->list = bigger;
        b->cap = cap;
    }
    ssm_param_t *p = &b->list[b->n++];
    memset(p, 0, sizeof *p);
    p->name = nb_req_strdup(b->req, name);
    p->value = nb_req_strdup(b->req, value);
    p->version = 1;
    p->type = "String";
    p->tier = "Standard";
    p->data_type = data_type;
    p->modified = PUBLIC_MODIFIED;
}

static const char *ami_id(nb_req_t *req, const char *name) {
    unsigned char d[NB_DIGEST_MAX];
    const char *seed = nb_req_printf(req, "%s|%s", nb_req_region(req), name);
    nb_digest(NB_DIGEST_SHA256, seed, strlen(seed), d);
    char hex[2 * NB_DIGEST_MAX + 1];
    nb_hex_encode(d, 9, 0, hex, sizeof hex);
    hex[17] = '\0';
    return nb_req_printf(req, "ami-%s", hex);
}

ssm_param_t *ssm_public_list(nb_req_t *req, const char *prefix, size_t *count) {
    builder_t b = {.req = req, .prefix = prefix};
    const char *base = "/aws/service/global-infrastructure";
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        const region_info_t *r = &regions[i];
        add(&b, nb_req_printf(req, "%s/regions/%s", base, r->name), r->name, "text");
        add(&b, nb_req_printf(req, "%s/regions/%s/longName", base, r->name), r->long_name, "text");
        add(&b, nb_req_printf(req, "%s/regions/%s/partition", base, r->name), "aws", "text");
        for (int z = 1; z <= r->zones; z++) {
            const char *az = nb_req_printf(req, "%s-az%d", r->az_prefix, z);
            add(&b, nb_req_printf(req, "%s/regions/%s/availability-zones/%s", base, r->name, az), az, "text");
            add(&b, nb_req_printf(req, "%s/availability-zones/%s", base, az), az, "text");
            add(&b, nb_req_printf(req, "%s/availability-zones/%s/region", base, az), r->name, "text");
        }
    }
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
        add(&b, images[i], ami_id(req, images[i]), "aws:ec2:image");
    *count = b.n;
    return b.list;
}

int ssm_public_get(nb_req_t *req, const char *name, ssm_param_t *out) {
    size_t n = 0;
    ssm_param_t *list = ssm_public_list(req, name, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].name, name) == 0) {
            *out = list[i];
            return 1;
        }
    }
    return 0;
}

const char *ssm_public_arn(nb_req_t *req, const char *name) {
    return nb_req_printf(req, "arn:%s:ssm:%s::parameter%s", nb_partition(nb_req_region(req)), nb_req_region(req),
                         name);
}
