/*
 * nimbus/credentials.h - the credential registry (ABI 1.8), shared by the services that
 * issue access keys (STS's temporary credentials, IAM's CreateAccessKey) and the core,
 * which attributes each request to the account and principal of the key that signed it.
 *
 * A registered key selects its account for every request it signs (instead of the
 * default account), and nb_req_principal_arn / nb_req_user_id name its principal. Keys
 * are kept in the registering plugin's own store (a `_nb_credentials` table written in
 * the transaction open on it, so a rolled-back request registers nothing) and in memory
 * once that transaction commits; with PERSISTENCE=1 they survive a restart or kill -9
 * like the rest of the plugin's state, and a state reset of the plugin forgets them.
 */
#ifndef NIMBUS_CREDENTIALS_H
#define NIMBUS_CREDENTIALS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_credentials {
    const char *access_key_id;     /* 16..128 characters [A-Za-z0-9_], unique across accounts */
    const char *secret_access_key; /* required */
    const char *session_token;     /* NULL or "": a long-term key (IAM) */
    const char *account;           /* 12 digits: the account the key's requests act in */
    const char *principal_arn;     /* arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/R/S, ... */
    const char *user_id;           /* AIDA..., AROA...:SESSION, ACCOUNT:NAME (federated users) */
    double expiration;             /* epoch seconds; 0: never expires */
} nb_credentials_t;

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_CREDENTIALS_H */
