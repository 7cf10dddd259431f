/* nb_strerror: every NB_E* code has its own text, and an unknown code says so. */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/errno.h"

Test(strerror, every_code_has_a_distinct_message) {
    const int codes[] = {NB_OK,        NB_ENOMEM,       NB_EINVAL, NB_ENOENT, NB_EIO,    NB_EABI,
                         NB_ESPEC,     NB_EEXIST,       NB_ELIMIT, NB_EPROTO, NB_ESTORE, NB_EAGAIN,
                         NB_ECANCELED, NB_ETIMEDOUT, NB_ECONNREFUSED, NB_EDNS, NB_ETLS};
    const size_t n = sizeof codes / sizeof codes[0];
    const char *unknown = nb_strerror(-12345);
    cr_assert_str_eq(unknown, "unknown error");
    for (size_t i = 0; i < n; i++) {
        const char *m = nb_strerror(codes[i]);
        cr_assert_not_null(m);
        cr_assert_str_neq(m, unknown, "code %d has its own message", codes[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(m, nb_strerror(codes[j]), "codes %d and %d read the same", codes[i], codes[j]);
    }
}

Test(strerror, messages_say_what_went_wrong) {
    cr_assert_str_eq(nb_strerror(NB_OK), "success");
    cr_assert_str_eq(nb_strerror(NB_ENOENT), "not found");
    cr_assert_str_eq(nb_strerror(NB_EABI), "plugin ABI mismatch");
    cr_assert_str_eq(nb_strerror(NB_EAGAIN), "resource temporarily unavailable");
}
