/* DynamoDB numbers (see ddb_num.h): decimal digits and a decimal point position, never doubles. */
#include "ddb_num.h"

#include <string.h>

/* Exponent values beyond this are out of range either way; capping keeps the parse loop from overflowing. */
#define EXP_CAP 100000

static ddb_num_status_t check_range(const ddb_num_t *n)
{
    if (n->sign == 0)
        return DDB_NUM_OK;
    if (n->exp > DDB_NUM_EXP_MAX)
        return DDB_NUM_EOVERFLOW;
    if (n->exp < DDB_NUM_EXP_MIN)
        return DDB_NUM_EUNDERFLOW;
    return DDB_NUM_OK;
}

ddb_num_status_t ddb_num_parse(const char *text, size_t len, ddb_num_t *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    int neg = 0;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        neg = text[i++] == '-';
    int seen_digit = 0, seen_point = 0, too_many = 0;
    long point = 0;   /* significant digits before the point, or minus the zeros after it */
    unsigned nsig = 0; /* digits since the first non-zero one */
    for (; i < len; i++) {
        char c = text[i];
        if (c == '.') {
            if (seen_point)
                return DDB_NUM_ESYNTAX;
            seen_point = 1;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        seen_digit = 1;
        int d = c - '0';
        if (nsig == 0 && d == 0) {
            if (seen_point)
                point--;
            continue;
        }
        if (!seen_point)
            point++;
        if (nsig < DDB_NUM_DIGITS)
            out->dig[nsig] = (uint8_t)d;
        else if (d != 0)
            too_many = 1;
        nsig++;
    }
    if (!seen_digit)
        return DDB_NUM_ESYNTAX;
    long e = 0;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (text[i] == '-' || text[i] == '+'))
            eneg = text[i++] == '-';
        if (i >= len)
            return DDB_NUM_ESYNTAX;
        for (; i < len; i++) {
            if (text[i] < '0' || text[i] > '9')
                return DDB_NUM_ESYNTAX;
            if (e < EXP_CAP)
                e = e * 10 + (text[i] - '0');
        }
        if (eneg)
            e = -e;
    }
    if (i != len)
        return DDB_NUM_ESYNTAX;
    if (nsig == 0)
        return DDB_NUM_OK; /* zero, whatever its sign or exponent */
    unsigned stored = nsig < DDB_NUM_DIGITS ? nsig : DDB_NUM_DIGITS;
    while (out->dig[stored - 1] == 0)
        stored--;
    out->ndig = (uint8_t)stored;
    out->sign = neg ? -1 : 1;
    long exp = point + e;
    if (exp > DDB_NUM_EXP_MAX)
        return DDB_NUM_EOVERFLOW;
    if (exp < DDB_NUM_EXP_MIN)
        return DDB_NUM_EUNDERFLOW;
    out->exp = (int16_t)exp;
    return too_many ? DDB_NUM_EDIGITS : DDB_NUM_OK;
}

const char *ddb_num_message(ddb_num_status_t st)
{
    switch (st) {
    case DDB_NUM_OK:
        return "";
    case DDB_NUM_EDIGITS:
        return "Attempting to store more than 38 significant digits in a Number";
    case DDB_NUM_EOVERFLOW:
        return "Number overflow. Attempting to store a number with magnitude larger than supported range";
    case DDB_NUM_EUNDERFLOW:
        return "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    case DDB_NUM_ESYNTAX:
        break;
    }
    return "The parameter cannot be converted to a numeric value";
}

size_t ddb_num_format(const ddb_num_t *n, char *buf)
{
    size_t k = 0;
    if (n->sign == 0) {
        buf[0] = '0';
        buf[1] = '\0';
        return 1;
    }
    if (n->sign < 0)
        buf[k++] = '-';
    int exp = n->exp, nd = n->ndig;
    if (exp <= 0) {
        buf[k++] = '0';
        buf[k++] = '.';
        for (int z = 0; z < -exp; z++)
            buf[k++] = '0';
        for (int j = 0; j < nd; j++)
            buf[k++] = (char)('0' + n->dig[j]);
    } else {
        for (int j = 0; j < nd || j < exp; j++) {
            if (j == exp)
                buf[k++] = '.';
            buf[k++] = (char)('0' + (j < nd ? n->dig[j] : 0));
        }
    }
    buf[k] = '\0';
    return k;
}

ddb_num_status_t ddb_num_canonical(const char *text, size_t len, char *buf, size_t *out_len)
{
    ddb_num_t n;
    ddb_num_status_t st = ddb_num_parse(text, len, &n);
    if (st != DDB_NUM_OK)
        return st;
    size_t k = ddb_num_format(&n, buf);
    if (out_len)
        *out_len = k;
    return DDB_NUM_OK;
}

/* Order of the magnitudes of two non-zero numbers. */
static int cmp_mag(const ddb_num_t *a, const ddb_num_t *b)
{
    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    int n = a->ndig < b->ndig ? a->ndig : b->ndig;
    for (int i = 0; i < n; i++)
        if (a->dig[i] != b->dig[i])
            return a->dig[i] < b->dig[i] ? -1 : 1;
    return (a->ndig > b->ndig) - (a->ndig < b->ndig);
}

int ddb_num_cmp(const ddb_num_t *a, const ddb_num_t *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int m = cmp_mag(a, b);
    return a->sign > 0 ? m : -m;
}

/* Positions span from the highest exponent (126, +1 for a carry) down to the lowest digit of a
 * 38-digit number at the smallest exponent (-129 - 38). */
#define SPAN 300

ddb_num_status_t ddb_num_add(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out)
{
    if (a->sign == 0) {
        *out = *b;
        return DDB_NUM_OK;
    }
    if (b->sign == 0) {
        *out = *a;
        return DDB_NUM_OK;
    }
    int hi = (a->exp > b->exp ? a->exp : b->exp) + 1; /* weight of acc[0] is 10^(hi-1) */
    int lo_a = a->exp - a->ndig, lo_b = b->exp - b->ndig;
    int lo = lo_a < lo_b ? lo_a : lo_b;
    int width = hi - lo;
    int8_t acc[SPAN];
    memset(acc, 0, (size_t)width);
    const ddb_num_t *big = a, *small = b;
    int sign = a->sign;
    int subtract = a->sign != b->sign;
    if (subtract) {
        int m = cmp_mag(a, b);
        if (m == 0) {
            memset(out, 0, sizeof *out);
            return DDB_NUM_OK;
        }
        if (m < 0) {
            big = b;
            small = a;
            sign = b->sign;
        }
    }
    for (int i = 0; i < big->ndig; i++)
        acc[hi - big->exp + i] = (int8_t)big->dig[i];
    for (int i = 0; i < small->ndig; i++) {
        int p = hi - small->exp + i;
        acc[p] = (int8_t)(acc[p] + (subtract ? -small->dig[i] : small->dig[i]));
    }
    for (int p = width - 1; p > 0; p--) {
        if (acc[p] >= 10) {
            acc[p] -= 10;
            acc[p - 1]++;
        } else if (acc[p] < 0) {
            acc[p] += 10;
            acc[p - 1]--;
        }
    }
    int first = 0, last = width - 1;
    while (first < width && acc[first] == 0)
        first++;
    while (last > first && acc[last] == 0)
        last--;
    ddb_num_t r;
    memset(&r, 0, sizeof r);
    r.sign = (int8_t)sign;
    int exp = hi - first;
    if (exp > DDB_NUM_EXP_MAX)
        return DDB_NUM_EOVERFLOW;
    if (exp < DDB_NUM_EXP_MIN)
        return DDB_NUM_EUNDERFLOW;
    int nd = last - first + 1;
    if (nd > DDB_NUM_DIGITS)
        return DDB_NUM_EDIGITS;
    r.exp = (int16_t)exp;
    r.ndig = (uint8_t)nd;
    for (int i = 0; i < nd; i++)
        r.dig[i] = (uint8_t)acc[first + i];
    *out = r;
    return check_range(out);
}

ddb_num_status_t ddb_num_sub(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out)
{
    ddb_num_t nb = *b;
    nb.sign = (int8_t)-nb.sign;
    return ddb_num_add(a, &nb, out);
}

void ddb_num_from_int(int64_t v, ddb_num_t *out)
{
    memset(out, 0, sizeof *out);
    if (v == 0)
        return;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    out->sign = v < 0 ? -1 : 1;
    uint8_t tmp[20];
    int n = 0;
    while (m) {
        tmp[n++] = (uint8_t)(m % 10);
        m /= 10;
    }
    out->exp = (int16_t)n;
    int nd = n;
    while (nd > 0 && tmp[n - nd] == 0) /* trailing zeros are the low-order digits */
        nd--;
    for (int i = 0; i < nd; i++)
        out->dig[i] = tmp[n - 1 - i];
    out->ndig = (uint8_t)nd;
}

/* Key layout: tag (1 negative, 2 zero, 3 positive), exponent byte, digit pairs as 1..100, terminator 0.
 * Negative numbers complement every byte after the tag (terminator 0xFF), so larger magnitudes sort first. */
enum { TAG_NEG = 1, TAG_ZERO = 2, TAG_POS = 3 };

size_t ddb_num_encode(const ddb_num_t *n, uint8_t *buf)
{
    if (n->sign == 0) {
        buf[0] = TAG_ZERO;
        return 1;
    }
    uint8_t flip = n->sign < 0 ? 0xFF : 0x00;
    size_t k = 0;
    buf[k++] = n->sign < 0 ? TAG_NEG : TAG_POS;
    buf[k++] = (uint8_t)((n->exp - DDB_NUM_EXP_MIN) ^ flip);
    for (int i = 0; i < n->ndig; i += 2) {
        int hi = n->dig[i], lo = i + 1 < n->ndig ? n->dig[i + 1] : 0;
        buf[k++] = (uint8_t)((1 + hi * 10 + lo) ^ flip);
    }
    buf[k++] = flip;
    return k;
}

size_t ddb_num_decode(const uint8_t *buf, size_t len, ddb_num_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return 0;
    if (buf[0] == TAG_ZERO)
        return 1;
    if (buf[0] != TAG_NEG && buf[0] != TAG_POS)
        return 0;
    uint8_t flip = buf[0] == TAG_NEG ? 0xFF : 0x00;
    if (len < 3)
        return 0;
    out->sign = buf[0] == TAG_NEG ? -1 : 1;
    out->exp = (int16_t)((buf[1] ^ flip) + DDB_NUM_EXP_MIN);
    size_t k = 2;
    int nd = 0;
    for (; k < len; k++) {
        uint8_t b = buf[k] ^ flip;
        if (b == 0)
            break;
        if (b > 100 || nd + 2 > DDB_NUM_DIGITS)
            return 0;
        out->dig[nd++] = (uint8_t)((b - 1) / 10);
        out->dig[nd++] = (uint8_t)((b - 1) % 10);
    }
    if (k == len || nd == 0)
        return 0;
    while (nd > 0 && out->dig[nd - 1] == 0)
        nd--;
    out->ndig = (uint8_t)nd;
    return k + 1;
}
