#include "ddb_table_cache.h"

#include <stdlib.h>
#include <string.h>

/* Direct-mapped by table id: a workload's hot tables rarely collide, and a collision only costs the
 * parse the cache saves; memory stays bounded whatever the number of tables. */
#define SLOTS 256

typedef struct entry {
    char *text; /* NULL: empty slot */
    size_t len;
    ddb_table_t t;
} entry_t;

static entry_t slots[SLOTS];

static void entry_free(entry_t *e) {
    free(e->text);
    free(e->t.indexes);
    json_decref(e->t.def);
    memset(e, 0, sizeof *e);
}

const ddb_table_t *ddb_table_cache_get(int64_t tid, const char *text, size_t len) {
    entry_t *e = &slots[(uint64_t)tid % SLOTS];
    if (e->text != NULL && e->t.tid == tid && e->len == len && memcmp(e->text, text, len) == 0)
        return &e->t;
    entry_free(e);
    json_t *def = json_loadb(text, len, 0, NULL);
    char *copy = malloc(len + 1);
    if (def == NULL || copy == NULL) {
        json_decref(def);
        free(copy);
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    e->t.tid = tid;
    e->t.def = def;
    e->t.name = nb_json_str(def, "TableName");
    if (ddb_table_parse_def(NULL, &e->t) != 0) {
        free(copy);
        entry_free(e);
        return NULL;
    }
    e->text = copy;
    e->len = len;
    return &e->t;
}

void ddb_table_cache_clear(void) {
    for (size_t i = 0; i < SLOTS; i++)
        entry_free(&slots[i]);
}
