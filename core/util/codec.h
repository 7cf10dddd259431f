/* Small encodings shared by the marshallers and plugins: base64, hex, timestamps,
 * percent-encoding. Functions returning char * return malloc'd, NUL-terminated text. */
#ifndef NB_UTIL_CODEC_H
#define NB_UTIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>

char *nb__base64_encode(const void *data, size_t len);
/* Strict: rejects characters outside the alphabet and bad padding. NULL if invalid. */
unsigned char *nb__base64_decode(const char *text, size_t text_len, size_t *out_len);
char *nb__hex_encode(const void *data, size_t len);
/* The value of a hex digit, -1 if c is not one. */
int nb__hex_digit(int c);

typedef enum nb__time_format {
    NB_TIME_ISO8601,      /* 2014-04-29T18:30:38Z (fraction when not whole) */
    NB_TIME_ISO8601_MS,   /* 2014-04-29T18:30:38.000Z, as S3 writes */
    NB_TIME_RFC822,       /* Tue, 29 Apr 2014 18:30:38 GMT */
    NB_TIME_EPOCH,        /* 1398796238 or 1398796238.123 */
} nb__time_format_t;

/* Writes t (epoch seconds) into buf (>= 40 bytes). */
void nb__time_format(double t, nb__time_format_t fmt, char *buf, size_t len);
/* Parses ISO 8601 (fractions, Z or +hh:mm offsets), RFC 822/1123, or epoch seconds. */
bool nb__time_parse(const char *text, double *t);
bool nb__time_parse_iso8601(const char *text, double *t);
bool nb__time_parse_rfc822(const char *text, double *t);

/* Percent-decodes len bytes of s; plus_as_space for form encoding. NULL on a bad escape. */
char *nb__url_decode(const char *s, size_t len, bool plus_as_space, size_t *out_len);
/* Encodes all but unreserved characters (A-Z a-z 0-9 - _ . ~); keep_slash leaves '/'. */
char *nb__url_encode(const char *s, size_t len, bool keep_slash);

#endif
