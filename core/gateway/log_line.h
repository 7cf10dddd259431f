/*
 * The request logs' lines, built by hand: the text log's ("AWS sqs.SendMessage => 200") and
 * NIMBUS_REQUEST_LOG's JSON (request_log.c). vfprintf cost more than the rest of a line's work
 * on every request, so each line is appended piece by piece into one buffer kept for every line
 * and written with one fwrite. Loop thread only.
 */
#ifndef NB_GATEWAY_LOG_LINE_H
#define NB_GATEWAY_LOG_LINE_H

#include <stdint.h>
#include <stdio.h>

#include "gateway/request.h"
#include "util/buf.h"

/* The line buffer, emptied: pieces go in with nb__buf_puts and the appenders below. */
nb__buf_t *nb__log_line_begin(void);
/* Now in UTC to the millisecond, "2026-12-07T11:10:08.123" (the second formatted once: a busy
 * log writes many lines within one). */
void nb__log_line_time(nb__buf_t *line);
/* v in decimal, '-' first when negative. */
void nb__log_line_int(nb__buf_t *line, int64_t v);
/* How long req has taken so far, in milliseconds with `decimals` places (rounded half up). */
void nb__log_line_elapsed_ms(nb__buf_t *line, const nb_req_t *req, int decimals);
/* s as a JSON string's contents (quotes and control characters escaped). */
void nb__log_line_json_chars(nb__buf_t *line, const char *s);
/* The names the lines give req: its service ("unknown") and operation ("UnknownOperation"). */
const char *nb__log_service(const nb_req_t *req);
const char *nb__log_operation(const nb_req_t *req);
/* Writes the line to f. */
void nb__log_line_write(nb__buf_t *line, FILE *f);

#endif
