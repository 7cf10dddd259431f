/* The store's rows as JSON (moto's /moto-api/data.json, core/gateway/moto_api.c): every table
 * a plugin created, each row an object of its columns. Text stays text, numbers numbers; a
 * binary value is not dumped, only its size ({"bytes": n}), and blobs (object bodies) not at all. */
#include <sqlite3.h>

#include "store/store_impl.h"

static json_t *column_value(sqlite3_stmt *s, int i) {
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(s, i));
    case SQLITE_TEXT: return json_stringn((const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
    case SQLITE_BLOB: return json_pack("{s:i}", "bytes", sqlite3_column_bytes(s, i));
    default: return json_null();
    }
}

static int dump_table(nb__store_t *st, const char *table, json_t *rows) {
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", table);
    if (sql == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    sqlite3_free(sql);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        json_t *row = json_object();
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            json_t *v = column_value(s, i);
            /* a text that is not UTF-8 makes no JSON string: dumped as null */
            json_object_set_new(row, sqlite3_column_name(s, i), v ? v : json_null());
        }
        json_array_append_new(rows, row);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int nb__store_dump(nb__store_t *st, json_t *out) {
    return nb__store_tables_json(st, out, json_array, dump_table, "dumping rows");
}
