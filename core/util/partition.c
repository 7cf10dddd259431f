#include "util/partition.h"

#include <string.h>

/* botocore's partitions.json tells partitions apart by a regex on the region's name; the
 * prefixes below are what those regexes require (cn-north-1, us-gov-west-1, us-iso-east-1,
 * us-isob-east-1, eu-isoe-west-1, us-isof-south-1, eusc-de-east-1). Longer prefixes first:
 * "us-isob-" must not be read as "us-iso". */
static const struct {
    const char *prefix, *partition;
} partitions[] = {
    {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"}, {"us-iso-", "aws-iso"},
    {"eu-isoe-", "aws-iso-e"}, {"eusc-", "aws-eusc"},     {"cn-", "aws-cn"},
};

const char *nb__partition_of(const char *region) {
    for (size_t i = 0; region && i < sizeof partitions / sizeof *partitions; i++)
        if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
            return partitions[i].partition;
    return "aws";
}
