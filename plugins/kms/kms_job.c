/* Crypto off the event loop: RSA private-key operations and key generation take 0.25 ms to
 * seconds, so they run on the thread pool (nb_work_queue); the rest runs at once. */
#include "kms.h"

static void job_release(void *data) {
    kms_job_t *j = data;
    kms_buf_free(&j->material);
    kms_buf_free(&j->out);
    kms_buf_free(&j->out2);
}

static void job_work(void *data) {
    kms_job_t *j = data;
    j->rc = j->fn(j);
}

static void job_done(nb_req_t *req, void *data) {
    kms_job_t *j = data;
    j->finish(req, j);
}

nb_result_t kms_job_run(nb_req_t *req, kms_job_t *j, int slow) {
    /* key material is wiped when the request ends, whichever way it ends */
    if (nb_req_on_free(req, job_release, j) != 0) {
        job_release(j);
        return NB_FAILED(NB_ENOMEM);
    }
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
