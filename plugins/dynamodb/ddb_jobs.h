/* Exports and imports run after their request committed, through S3 calls; their descriptions are
 * rows of `jobs`, and what a job's last callback learned is written by a timer (a call's callback
 * runs outside any store transaction, a timer's inside one). Also the DynamoDB JSON form of files:
 * binary values as base64 text. */
#ifndef DDB_JOBS_H
#define DDB_JOBS_H

#include "ddb.h"

/* Records a new job (kind "export" or "import") with its description `def`. */
int ddb_job_insert(nb_req_t *req, const char *kind, const char *arn, const char *table_arn, const json_t *def);
/* The description of a job of the request's account and region (new reference), NULL if none. */
json_t *ddb_job_load(nb_req_t *req, const char *kind, const char *arn);
/* The descriptions of the kind's jobs, of one table when table_arn is set (new array). */
json_t *ddb_job_list(nb_req_t *req, const char *kind, const char *table_arn);
/* Later, in a timer's transaction: merges `fields_new` into the job's description and stamps EndTime. */
void ddb_job_update_later(const char *arn, json_t *fields_new);

/* B and BS values of an AttributeValue to base64 text (to_base64) or back; -1 on bad base64. */
int ddb_json_binary(json_t *av, int to_base64);

#endif
