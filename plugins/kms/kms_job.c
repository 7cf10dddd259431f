/* Crypto off the event loop: RSA private-key operations and key generation take 0.25 ms to
 * seconds, so they run on the thread pool (nb_work_queue); the rest runs at once. */
#include "kms.h"

static void job_release(void *data) {
    kms_job_t *j = data;
    kms_buf_free(&j->material);
    kms_buf_free(&j->out);
    kms_buf_free(&j->out2);
    json_decref((json_t *)j->held);
}

static void job_work(void *data) {
    kms_job_t *j = data;
    j->rc = j->fn(j);
}

static void job_done(nb_req_t *req, void *data) {
    kms_job_t *j = data;
    j->finish(req, j);
}

kms_job_t *kms_job_new(nb_req_t *req) {
    kms_job_t *j = nb_req_alloc(req, sizeof *j);
    /* key material is wiped when the request ends, whichever way it ends */
    if (j == NULL || nb_req_on_free(req, job_release, j) != 0)
        return NULL;
    return j;
}

nb_result_t kms_job_run(nb_req_t *req, kms_job_t *j, int slow) {
    /* the handler's input is not the request's past NB_ASYNC: the job keeps its own reference,
     * and its own copy of the algorithm name */
    j->held = j->input = json_incref((json_t *)j->input);
    if (j->alg != NULL && (j->alg = nb_req_strdup(req, j->alg)) == NULL)
        return NB_FAILED(NB_ENOMEM);
    if (slow && nb_work_queue(req, job_work, job_done, j) == 0)
        return NB_ASYNC;
    j->rc = j->fn(j);
    return j->finish(req, j);
}

nb_step_t kms_dry_run(nb_req_t *req, const json_t *input) {
    if (nb_json_bool(input, "DryRun", 0))
        return nb_stop(nb_error(req, "DryRunOperationException",
                                "The request would have succeeded, but the DryRun option is set."));
    return NB_GO_ON;
}
