/* nb_fnv1a (nimbus/hash.h): the 32-bit FNV-1a the plugins' direct-mapped caches slot by. */
#include <criterion/criterion.h>

#include "nimbus/hash.h"

Test(hash, fnv1a_published_vectors) {
    /* the reference values of the FNV authors' test suite */
    cr_assert_eq(nb_fnv1a(""), 0x811c9dc5u);
    cr_assert_eq(nb_fnv1a("a"), 0xe40c292cu);
    cr_assert_eq(nb_fnv1a("foobar"), 0xbf9cf968u);
}

Test(hash, fnv1a_more_continues_over_the_next_string) {
    cr_assert_eq(nb_fnv1a_more(nb_fnv1a("foo"), "bar"), nb_fnv1a("foobar"));
    cr_assert_eq(nb_fnv1a_more(NB_FNV1A_INIT, ""), nb_fnv1a(""));
}

Test(hash, fnv1a_reads_bytes_unsigned) {
    /* a byte >= 0x80 mixes in as 0xe9, not a sign-extended int: the value does not depend on char's sign */
    uint32_t h = (NB_FNV1A_INIT ^ 0xe9u) * 16777619u;
    cr_assert_eq(nb_fnv1a("\xe9"), h);
}
