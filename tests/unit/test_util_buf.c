/* nb__buf_t, the growable byte buffer every serializer writes into. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

Test(buf, appends_stay_nul_terminated_and_grow_past_the_first_allocation) {
    nb__buf_t b = NB__BUF_INIT;
    cr_assert_eq(nb__buf_puts(&b, "ab"), 0);
    cr_assert_eq(nb__buf_putc(&b, 'c'), 0);
    cr_assert_eq(nb__buf_append(&b, "d\0e", 3), 0);
    cr_assert_eq(b.len, 6);
    cr_assert_eq(memcmp(b.data, "abcd\0e", 6), 0);
    cr_assert_eq(b.data[6], '\0');
    char big[1000];
    memset(big, 'x', sizeof big);
    cr_assert_eq(nb__buf_append(&b, big, sizeof big), 0);
    cr_assert_eq(b.len, 1006);
    cr_assert_geq(b.cap, 1007);
    cr_assert_eq(b.data[1005], 'x');
    cr_assert_eq(b.data[1006], '\0');
    nb__buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
}

Test(buf, empty_append_on_a_new_buffer_gives_an_empty_string) {
    nb__buf_t b = NB__BUF_INIT;
    cr_assert_eq(nb__buf_append(&b, NULL, 0), 0);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    nb__buf_free(&b);
}

Test(buf, printf_appends_formatted_text_of_any_length) {
    nb__buf_t b = NB__BUF_INIT;
    cr_assert_eq(nb__buf_printf(&b, "%s=%d;", "n", 42), 0);
    cr_assert_eq(nb__buf_printf(&b, "%0300d", 7), 0); /* longer than the first allocation */
    cr_assert_eq(b.len, 5 + 300);
    cr_assert_eq(strncmp(b.data, "n=42;000", 8), 0);
    cr_assert_eq(b.data[b.len - 1], '7');
    cr_assert_eq(strlen(b.data), b.len);
    nb__buf_free(&b);
}

Test(buf, reset_empties_but_keeps_the_memory) {
    nb__buf_t b = NB__BUF_INIT;
    nb__buf_puts(&b, "something");
    char *data = b.data;
    size_t cap = b.cap;
    nb__buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(b.data, "");
    cr_assert_eq(b.data, data);
    cr_assert_eq(b.cap, cap);
    nb__buf_puts(&b, "new");
    cr_assert_str_eq(b.data, "new");
    nb__buf_free(&b);
}

Test(buf, steal_hands_over_the_bytes_and_leaves_the_buffer_empty) {
    nb__buf_t b = NB__BUF_INIT;
    nb__buf_puts(&b, "payload");
    size_t len = 0;
    char *p = nb__buf_steal(&b, &len);
    cr_assert_str_eq(p, "payload");
    cr_assert_eq(len, 7);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    free(p);
}

/* buf.h promises data is NUL-terminated when non-NULL; core/proto/rest.c steals a buffer that may
 * be empty (a list header of no values): the stolen string must be "", not 64 unwritten bytes. */
Test(buf, steal_of_a_buffer_never_written_gives_an_empty_string) {
    nb__buf_t b = NB__BUF_INIT;
    size_t len = 1;
    char *empty = nb__buf_steal(&b, &len);
    cr_assert_not_null(empty);
    cr_assert_str_eq(empty, "");
    cr_assert_eq(len, 0);
    free(empty);
}

Test(buf, strdup_printf_formats_a_new_string) {
    char *s = nb__strdup_printf("queue %s has %d messages", "q1", 3);
    cr_assert_str_eq(s, "queue q1 has 3 messages");
    free(s);
}
