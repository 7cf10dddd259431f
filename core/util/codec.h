/* Small encodings shared by the marshallers and plugins: base64, hex, timestamps,
 * percent-encoding. Functions returning char * return malloc'd, NUL-terminated text. */
#ifndef NB_UTIL_CODEC_H
#define NB_UTIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nimbus/util.h"

char *nb__base64_encode(const void *data, size_t len);
/* Strict: rejects characters outside the alphabet and bad padding. NULL if invalid. */
unsigned char *nb__base64_decode(const char *text, size_t text_len, size_t *out_len);
char *nb__hex_encode(const void *data, size_t len);
/* The value of a hex digit, -1 if c is not one. */
int nb__hex_digit(int c);

/* The forms are the ABI's (nimbus/util.h): NB_TIME_ISO8601, NB_TIME_RFC822, ... */
typedef nb_time_form_t nb__time_format_t;

/* Writes t (epoch seconds) into buf (>= NB_TIME_SIZE bytes): the text's length. */
size_t nb__time_format(double t, nb__time_format_t fmt, char *buf, size_t len);
/* Parses ISO 8601 (fractions, Z or +hh:mm offsets; also the basic 20261207T043845Z), RFC 822/1123,
 * or epoch seconds. */
bool nb__time_parse(const char *text, double *t);
bool nb__time_parse_iso8601(const char *text, double *t);
bool nb__time_parse_rfc822(const char *text, double *t);

/* Percent-decodes len bytes of s; plus_as_space for form encoding. NULL on a bad escape. */
char *nb__url_decode(const char *s, size_t len, bool plus_as_space, size_t *out_len);
/* Encodes all but unreserved characters (A-Z a-z 0-9 - _ . ~); keep_slash leaves '/'. */
char *nb__url_encode(const char *s, size_t len, bool keep_slash);


/* The caller-buffer forms nimbus/util.h documents (nb_util_api_t): the length written, or
 * NB_ELIMIT (cap too small) / NB_EINVAL (malformed input). The malloc'd forms above wrap them. */
ssize_t nb__base64_encode_to(const void *data, size_t len, unsigned flags, char *out, size_t cap);
ssize_t nb__base64_decode_to(const char *text, size_t len, unsigned flags, void *out, size_t cap);
ssize_t nb__hex_encode_to(const void *data, size_t len, unsigned flags, char *out, size_t cap);
ssize_t nb__hex_decode_to(const char *text, size_t len, void *out, size_t cap);
ssize_t nb__url_encode_to(const char *s, size_t len, unsigned flags, char *out, size_t cap);
ssize_t nb__url_decode_to(const char *s, size_t len, unsigned flags, char *out, size_t cap);
ssize_t nb__time_format_to(double t, nb_time_form_t form, char *out, size_t cap);
int nb__time_parse_abi(const char *text, double *t); /* 0 or NB_EINVAL */
ssize_t nb__time_strftime(double t, const char *fmt, char *out, size_t cap);

#endif
