#include "util/codec.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nimbus/errno.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

ssize_t nb__base64_encode_to(const void *data, size_t len, unsigned flags, char *out, size_t cap) {
    const char *abc = flags & NB_BASE64_URL ? b64_url : b64_std;
    bool pad = !(flags & NB_BASE64_NOPAD);
    size_t need = pad ? 4 * ((len + 2) / 3) : (len * 4 + 2) / 3;
    if (cap < need + 1)
        return NB_ELIMIT;
    const unsigned char *p = data;
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        if (i + 1 < len)
            *o++ = abc[(v >> 6) & 63];
        else if (pad)
            *o++ = '=';
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
    return (ssize_t)(o - out);
}

static int b64_value(unsigned char c, bool url) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

ssize_t nb__base64_decode_to(const char *text, size_t n, unsigned flags, void *out, size_t cap) {
    bool url = flags & NB_BASE64_URL;
    size_t pad = 0;
    while (pad < 2 && pad < n && text[n - 1 - pad] == '=')
        pad++;
    size_t body = n - pad;
    /* padded text comes in whole quads; unpadded text may stop after 2 or 3 characters */
    if (pad ? n % 4 != 0 : (flags & NB_BASE64_NOPAD ? body % 4 == 1 : body % 4 != 0))
        return NB_EINVAL;
    size_t bytes = body / 4 * 3 + (body % 4 ? body % 4 - 1 : 0);
    if (cap < bytes)
        return NB_ELIMIT;
    unsigned char *o = out;
    uint32_t acc = 0;
    size_t bits = 0, k = 0;
    for (size_t i = 0; i < body; i++) {
        int v = b64_value((unsigned char)text[i], url);
        if (v < 0)
            return NB_EINVAL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
        }
    }
    /* non-zero bits below the last byte are ignored, as the decoder before this one did (RFC
     * 4648 3.5 allows either) */
    if (k < cap) /* text decodes to a C string when there is room; raw digests fill their buffer */
        o[k] = '\0';
    return (ssize_t)k;
}

char *nb__base64_encode(const void *data, size_t len) {
    char *out = malloc(NB_BASE64_SIZE(len));
    if (out)
        nb__base64_encode_to(data, len, 0, out, NB_BASE64_SIZE(len));
    return out;
}

unsigned char *nb__base64_decode(const char *text, size_t n, size_t *out_len) {
    unsigned char *out = malloc(NB_BASE64_DECODED_SIZE(n));
    ssize_t got = out ? nb__base64_decode_to(text, n, 0, out, NB_BASE64_DECODED_SIZE(n)) : NB_ENOMEM;
    if (got < 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)got;
    return out;
}

ssize_t nb__hex_encode_to(const void *data, size_t len, unsigned flags, char *out, size_t cap) {
    const char *digits = flags & NB_HEX_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    const unsigned char *p = data;
    if (cap < NB_HEX_SIZE(len))
        return NB_ELIMIT;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[len * 2] = '\0';
    return (ssize_t)(len * 2);
}

ssize_t nb__hex_decode_to(const char *text, size_t len, void *out, size_t cap) {
    if (len % 2)
        return NB_EINVAL;
    if (cap < len / 2)
        return NB_ELIMIT;
    unsigned char *o = out;
    for (size_t i = 0; i < len; i += 2) {
        int hi = nb__hex_digit((unsigned char)text[i]), lo = nb__hex_digit((unsigned char)text[i + 1]);
        if (hi < 0 || lo < 0)
            return NB_EINVAL;
        o[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    return (ssize_t)(len / 2);
}

char *nb__hex_encode(const void *data, size_t len) {
    char *out = malloc(NB_HEX_SIZE(len));
    if (out)
        nb__hex_encode_to(data, len, 0, out, NB_HEX_SIZE(len));
    return out;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Writes n digits of v at p (zero-padded); returns the end. */
static char *put_digits(char *p, int v, int n) {
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* The n bytes of text into buf as snprintf("%s") would put them (cut to fit, NUL-terminated
 * when len > 0); returns n. */
static int put_text(char *buf, size_t len, const char *text, size_t n) {
    if (len > 0) {
        size_t k = n < len ? n : len - 1;
        memcpy(buf, text, k);
        buf[k] = '\0';
    }
    return (int)n;
}

size_t nb__time_format(double t, nb__time_format_t fmt, char *buf, size_t len) {
    /* Milliseconds are the precision every format here keeps: round to them first, so
     * 38.9996 s is 39.000 (rounding only the fraction would print 38.000, a second early). */
    double ms_total = round(t * 1000);
    double whole = floor(ms_total / 1000);
    int ms = (int)(ms_total - whole * 1000);
    time_t secs = (time_t)whole;
    /* forms of whole seconds (HTTP dates, X-Amz-Date): the second the instant falls in */
    bool whole_seconds = fmt == NB_TIME_RFC822 || fmt == NB_TIME_ISO8601_SECONDS || fmt == NB_TIME_ISO8601_BASIC;
    if (whole_seconds) {
        secs = (time_t)floor(t);
        ms = 0;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n;
    switch (fmt) {
    case NB_TIME_EPOCH:
        if (ms == 0)
            n = snprintf(buf, len, "%lld", (long long)secs);
        else {
            n = snprintf(buf, len, "%.3f", ms_total / 1000);
            /* trim trailing zeros of the fraction */
            char *e = buf + strlen(buf) - 1;
            while (*e == '0') {
                *e-- = '\0';
                n--;
            }
        }
        break;
    case NB_TIME_RFC822: {
        /* by hand: every S3 GetObject/HeadObject answer carries one (Last-Modified), and
         * snprintf cost as much as the rest of its headers */
        if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
            n = snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
                         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
            break;
        }
        char tmp[32], *p = tmp;
        memcpy(p, wdays[tm.tm_wday], 3);
        p += 3;
        *p++ = ',';
        *p++ = ' ';
        p = put_digits(p, tm.tm_mday, 2);
        *p++ = ' ';
        memcpy(p, months[tm.tm_mon], 3);
        p += 3;
        *p++ = ' ';
        p = put_digits(p, tm.tm_year + 1900, 4);
        *p++ = ' ';
        p = put_digits(p, tm.tm_hour, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_min, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_sec, 2);
        memcpy(p, " GMT", 5);
        p += 4;
        n = put_text(buf, len, tmp, (size_t)(p - tmp));
        break;
    }
    case NB_TIME_ISO8601_BASIC:
        n = snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        break;
    case NB_TIME_ISO8601_MS:
    case NB_TIME_ISO8601_SECONDS:
    case NB_TIME_ISO8601:
    default: {
        /* by hand: this runs for every timestamp of every XML response (1,000 per S3 listing) */
        char tmp[32], *p = tmp;
        if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
            n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
            break;
        }
        p = put_digits(p, tm.tm_year + 1900, 4);
        *p++ = '-';
        p = put_digits(p, tm.tm_mon + 1, 2);
        *p++ = '-';
        p = put_digits(p, tm.tm_mday, 2);
        *p++ = 'T';
        p = put_digits(p, tm.tm_hour, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_min, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_sec, 2);
        if (fmt == NB_TIME_ISO8601_MS || ms != 0) {
            *p++ = '.';
            p = put_digits(p, ms, 3);
        }
        *p++ = 'Z';
        n = put_text(buf, len, tmp, (size_t)(p - tmp));
        break;
    }
    }
    return n < 0 ? 0 : (size_t)n;
}

ssize_t nb__time_format_to(double t, nb_time_form_t form, char *out, size_t cap) {
    if ((unsigned)form > NB_TIME_ISO8601_BASIC || !isfinite(t))
        return NB_EINVAL;
    char tmp[NB_TIME_SIZE + 24];
    size_t n = nb__time_format(t, form, tmp, sizeof tmp);
    if (n + 1 > cap)
        return NB_ELIMIT;
    memcpy(out, tmp, n + 1);
    return (ssize_t)n;
}

ssize_t nb__time_strftime(double t, const char *fmt, char *out, size_t cap) {
    if (!isfinite(t) || cap == 0)
        return cap ? NB_EINVAL : NB_ELIMIT;
    time_t secs = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&secs, &tm);
    out[0] = '\0';
    size_t n = strftime(out, cap, fmt, &tm);
    /* 0 is also the length of an empty format's result */
    return n == 0 && fmt[0] != '\0' ? NB_ELIMIT : (ssize_t)n;
}

static int digits(const char **p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

bool nb__time_parse_iso8601(const char *s, double *t) {
    const char *p = s;
    struct tm tm = {0};
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return false;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return false;
    int d = digits(&p, 2);
    if (d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    int h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return false;
    int mi = digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return false;
    int sec = digits(&p, 2);
    if (sec < 0 || sec > 60)
        return false;
    double frac = 0;
    if (*p == '.') {
        p++;
        double scale = 0.1;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p)) {
            frac += (*p++ - '0') * scale;
            scale /= 10;
        }
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, 2);
        if (oh < 0)
            return false;
        if (*p == ':')
            p++;
        int om = digits(&p, 2);
        if (om < 0)
            return false;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p != '\0')
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *t = (double)(timegm(&tm) - offset) + frac;
    return true;
}

bool nb__time_parse_rfc822(const char *s, double *t) {
    /* "Tue, 29 Apr 2014 18:30:38 GMT" (weekday optional) */
    const char *p = s;
    if (isalpha((unsigned char)p[0])) {
        const char *comma = strchr(p, ',');
        if (comma == NULL)
            return false;
        p = comma + 1;
    }
    while (*p == ' ')
        p++;
    int d, y, h, mi, sec;
    char mon[4] = "";
    int used = 0;
    if (sscanf(p, "%d %3s %d %d:%d:%d%n", &d, mon, &y, &h, &mi, &sec, &used) != 6)
        return false;
    p += used;
    double frac = 0;
    if (*p == '.') {
        p++;
        double scale = 0.1;
        while (isdigit((unsigned char)*p)) {
            frac += (*p++ - '0') * scale;
            scale /= 10;
        }
    }
    while (*p == ' ')
        p++;
    if (*p && strcmp(p, "GMT") != 0 && strcmp(p, "UTC") != 0 && strcmp(p, "Z") != 0 && strcmp(p, "+0000") != 0)
        return false;
    int m = -1;
    for (int i = 0; i < 12; i++)
        if (strcasecmp(mon, months[i]) == 0)
            m = i;
    if (m < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    *t = (double)timegm(&tm) + frac;
    return true;
}

/* 20261207T043845Z (X-Amz-Date) */
static bool time_parse_basic(const char *s, double *t) {
    const char *p = s;
    int y = digits(&p, 4), mo = digits(&p, 2), d = digits(&p, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || *p++ != 'T')
        return false;
    int h = digits(&p, 2), mi = digits(&p, 2), sec = digits(&p, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 || strcmp(p, "Z") != 0)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    *t = (double)timegm(&tm);
    return true;
}

bool nb__time_parse(const char *s, double *t) {
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (*end == '\0' && (isdigit((unsigned char)s[0]) || s[0] == '-') && isfinite(v)) {
        *t = v;
        return true;
    }
    return nb__time_parse_iso8601(s, t) || time_parse_basic(s, t) || nb__time_parse_rfc822(s, t);
}

int nb__time_parse_abi(const char *text, double *t) { return nb__time_parse(text, t) ? 0 : NB_EINVAL; }

int nb__hex_digit(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

ssize_t nb__url_decode_to(const char *s, size_t len, unsigned flags, char *out, size_t cap) {
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        /* the bytes up to the next '%' or '+' are copied as they are, in one go: a query API's
         * form body is mostly such runs, decoded on every request */
        size_t run = i;
        while (run < len && s[run] != '%' && s[run] != '+')
            run++;
        if (run > i) {
            if (j + (run - i) >= cap)
                return NB_ELIMIT;
            memmove(out + j, s + i, run - i); /* out may be s (decoding in place) */
            j += run - i;
            i = run;
            if (i == len)
                break;
        }
        if (j + 1 >= cap)
            return NB_ELIMIT;
        if (s[i] == '%') {
            int hi = i + 2 < len ? nb__hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < len ? nb__hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out[j++] = (char)(hi * 16 + lo);
                i += 2;
            } else if (flags & NB_URL_LENIENT) {
                out[j++] = '%';
            } else {
                return NB_EINVAL;
            }
        } else if ((flags & NB_URL_FORM) && s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    if (cap == 0)
        return NB_ELIMIT;
    out[j] = '\0';
    return (ssize_t)j;
}

char *nb__url_decode(const char *s, size_t len, bool plus_as_space, size_t *out_len) {
    char *out = malloc(len + 1);
    ssize_t n = out ? nb__url_decode_to(s, len, plus_as_space ? NB_URL_FORM : 0, out, len + 1) : NB_ENOMEM;
    if (n < 0) {
        free(out);
        return NULL;
    }
    if (out_len)
        *out_len = (size_t)n;
    return out;
}

/* RFC 3986's unreserved characters, by their bytes (isalnum would follow the locale). */
static bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

ssize_t nb__url_encode_to(const char *s, size_t len, unsigned flags, char *out, size_t cap) {
    static const char digits_hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool keep = unreserved(c) || ((flags & NB_URL_KEEP_SLASH) && c == '/');
        if (j + (keep ? 1 : 3) >= cap)
            return NB_ELIMIT;
        if (keep) {
            out[j++] = (char)c;
        } else {
            out[j++] = '%';
            out[j++] = digits_hex[c >> 4];
            out[j++] = digits_hex[c & 15];
        }
    }
    if (cap == 0)
        return NB_ELIMIT;
    out[j] = '\0';
    return (ssize_t)j;
}

char *nb__url_encode(const char *s, size_t len, bool keep_slash) {
    char *out = malloc(NB_URL_ENCODED_SIZE(len));
    if (out)
        nb__url_encode_to(s, len, keep_slash ? NB_URL_KEEP_SLASH : 0, out, NB_URL_ENCODED_SIZE(len));
    return out;
}
