/* AWS partitions: which one a region belongs to, for the ARNs every service builds. */
#ifndef NB_UTIL_PARTITION_H
#define NB_UTIL_PARTITION_H

/* "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f" or
 * "aws-eusc", by the region's name as botocore's partitions.json tells them apart; "aws"
 * for NULL or a region of no known partition. A static string. */
const char *nb__partition_of(const char *region);

#endif
