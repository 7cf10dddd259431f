/* The request logs' lines (log_line.h). */
#include "gateway/log_line.h"

#include <string.h>
#include <time.h>
#include <uv.h>

nb__buf_t *nb__log_line_begin(void) {
    static nb__buf_t line = NB__BUF_INIT; /* kept: its memory serves every line */
    nb__buf_reset(&line);
    return &line;
}

/* v in decimal, at least `width` digits (zero-padded). */
static void put_u64(nb__buf_t *line, uint64_t v, int width) {
    char d[24];
    int n = 0;
    do {
        d[sizeof d - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 || n < width);
    nb__buf_append(line, d + sizeof d - n, (size_t)n);
}

void nb__log_line_time(nb__buf_t *line) {
    static char stamp[32];
    static time_t stamp_second = -1; /* the formatted second, reused by every line within it */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (now.tv_sec != stamp_second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_second = now.tv_sec;
    }
    nb__buf_puts(line, stamp);
    nb__buf_putc(line, '.');
    put_u64(line, (uint64_t)(now.tv_nsec / 1000000), 3);
}

void nb__log_line_int(nb__buf_t *line, int64_t v) {
    if (v < 0)
        nb__buf_putc(line, '-');
    put_u64(line, v < 0 ? -(uint64_t)v : (uint64_t)v, 1);
}

void nb__log_line_elapsed_ms(nb__buf_t *line, const nb_req_t *req, int decimals) {
    uint64_t scale = 1; /* 10^decimals */
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    uint64_t unit = 1000000 / scale; /* nanoseconds a last digit stands for */
    uint64_t q = (uv_hrtime() - req->start_ns + unit / 2) / unit;
    put_u64(line, q / scale, 1);
    if (decimals > 0) {
        nb__buf_putc(line, '.');
        put_u64(line, q % scale, decimals);
    }
}

void nb__log_line_json_chars(nb__buf_t *line, const char *s) {
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            nb__buf_append(line, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            nb__buf_append(line, esc, 6);
        } else {
            nb__buf_putc(line, (char)c);
        }
    }
}

const char *nb__log_service(const nb_req_t *req) { return req->route.spec ? req->route.spec->service : "unknown"; }

const char *nb__log_operation(const nb_req_t *req) { return req->route.op ? req->route.op->name : "UnknownOperation"; }

void nb__log_line_write(nb__buf_t *line, FILE *f) {
    if (line->len > 0)
        fwrite(line->data, 1, line->len, f);
}
