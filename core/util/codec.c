#include "util/codec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

char *nb__base64_encode(const void *data, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static bool b64_char(unsigned char c) { return isalnum(c) || c == '+' || c == '/'; }

unsigned char *nb__base64_decode(const char *text, size_t n, size_t *out_len) {
    if (n % 4 != 0)
        return NULL;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '=') {
            if (i < n - 2)
                return NULL;
            pad++;
        } else if (!b64_char(c) || pad) {
            return NULL;
        }
    }
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (out == NULL)
        return NULL;
    int got = n ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)n) : 0;
    if (got < 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)got - pad;
    out[*out_len] = '\0';
    return out;
}

char *nb__hex_encode(const void *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    char *out = malloc(len * 2 + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[len * 2] = '\0';
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

void nb__time_format(double t, nb__time_format_t fmt, char *buf, size_t len) {
    /* Milliseconds are the precision every format here keeps: round to them first, so
     * 38.9996 s is 39.000 (rounding only the fraction would print 38.000, a second early). */
    double ms_total = round(t * 1000);
    double whole = floor(ms_total / 1000);
    int ms = (int)(ms_total - whole * 1000);
    time_t secs = (time_t)whole;
    struct tm tm;
    gmtime_r(&secs, &tm);
    switch (fmt) {
    case NB_TIME_EPOCH:
        if (ms == 0)
            snprintf(buf, len, "%lld", (long long)secs);
        else {
            snprintf(buf, len, "%.3f", ms_total / 1000);
            /* trim trailing zeros of the fraction */
            char *e = buf + strlen(buf) - 1;
            while (*e == '0')
                *e-- = '\0';
        }
        break;
    case NB_TIME_RFC822:
        /* HTTP dates have whole seconds: the second the instant falls in */
        secs = (time_t)floor(t);
        gmtime_r(&secs, &tm);
        snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        break;
    case NB_TIME_ISO8601_MS:
    case NB_TIME_ISO8601:
    default: {
        /* by hand: this runs for every timestamp of every XML response (1,000 per S3 listing) */
        char tmp[32], *p = tmp;
        if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
            snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
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
        *p = '\0';
        snprintf(buf, len, "%s", tmp);
        break;
    }
    }
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

bool nb__time_parse(const char *s, double *t) {
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (*end == '\0' && (isdigit((unsigned char)s[0]) || s[0] == '-') && isfinite(v)) {
        *t = v;
        return true;
    }
    return nb__time_parse_iso8601(s, t) || nb__time_parse_rfc822(s, t);
}

int nb__hex_digit(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *nb__url_decode(const char *s, size_t len, bool plus_as_space, size_t *out_len) {
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < len ? nb__hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < len ? nb__hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus_as_space && s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    if (out_len)
        *out_len = j;
    return out;
}

char *nb__url_encode(const char *s, size_t len, bool keep_slash) {
    static const char digits_hex[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1);
    if (out == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out[j++] = (char)c;
        } else {
            out[j++] = '%';
            out[j++] = digits_hex[c >> 4];
            out[j++] = digits_hex[c & 15];
        }
    }
    out[j] = '\0';
    return out;
}
