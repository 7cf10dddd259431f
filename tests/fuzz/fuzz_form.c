/* libFuzzer target: application/x-www-form-urlencoded pairs (query and ec2 bodies, query
 * strings), then the sorted lookups the decoders make, for every key found. */
#include <stdint.h>
#include <string.h>

#include "proto/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb__form_t f = NB__FORM_INIT;
    if (nb__form_parse(&f, (const char *)data, size) == 0) {
        (void)nb__form_get(&f, "Action");
        (void)nb__form_has_prefix(&f, "Attribute.");
        for (size_t i = 0; i < f.len; i++) {
            const nb__form_pair_t *p = nb__form_get(&f, f.items[i].key);
            if (p == NULL || strcmp(p->key, f.items[i].key) != 0)
                __builtin_trap(); /* a key parsed must be found again */
        }
    }
    nb__form_free(&f);
    return 0;
}
