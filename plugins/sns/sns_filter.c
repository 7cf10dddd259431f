/* SNS filter policies: validation and compilation of a FilterPolicy, worded as AWS words its refusals.
 *
 * Where the texts come from. AWS SNS checks a policy with the parser of its event-matching library (the one
 * EventBridge patterns also use), after re-writing the policy without whitespace; its messages end with that
 * parser's position "\n at [Source: (String)"<policy>"; line: 1, column: N]". Seen in AWS's own answers (as
 * recorded by public test suites that run against AWS):
 *   "Match value must be String, number, true, false, or null", "Unrecognized match type X",
 *   "Only one key allowed in match expression", "prefix|suffix match pattern must be a string",
 *   "\"X\" must be an object or an array", "Invalid member in numeric match: X",
 *   "Unrecognized numeric range operator: X", "Value of equals|<|<=|>|>= must be numeric",
 *   "Too many elements in numeric expression", "Bad numeric range operator: X", "Bad value in numeric range: X",
 *   "Bottom must be less than top", "Too many terms in numeric range expression",
 *   "exists match pattern must be either true or false.", "Unsupported anything-but pattern: X" (also for
 *   suffix: SNS's anything-but takes prefix only), "Filter policy is too complex",
 *   "Filter policy can not have more than 5 keys", "failed to parse JSON." (the start of that one).
 * From the same library's source, not seen in an AWS answer (likely, not verified):
 *   "equals-ignore-case match pattern must be a string", "Empty arrays are not allowed",
 *   "Empty objects are not allowed", "Filter is not an object", "Match expression name not found",
 *   "Value of numeric must be an array.", "Anything-But expression name not found",
 *   "Value of anything-but must be an array or single string/number value.",
 *   "Inside anything but list, start|null|boolean is not supported.",
 *   "Inside anything but list, either all values are number or string, mixed type is not supported",
 *   the $or texts, "Malformed CIDR, one '/' required", "Malformed CIDR, mask bits must be an integer",
 *   "Nonstandard IP address: X" (CIDR errors carry no position: the library raises them outside its parser).
 * Guesses: "Malformed CIDR, mask bits must be between 0 and N", "Null prefix not allowed",
 *   "Filter policy is too large" (over 256 KB), and "failed to parse JSON." with no reason after it.
 *
 * Limits (AWS's "Filter policy constraints"): 256 KB; at most 5 keys at the top level (a nested policy counts
 * its top keys only, "$or" is one); at most 150 combinations: the product of the sizes of the value arrays,
 * each multiplied by its nesting depth (4 values 3 levels deep and 3 values 2 deep: 4x3 x 3x2 = 72), an "$or"
 * adding up its branches. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns_filter_int.h"

#define SF_MAX_BYTES (256 * 1024)
#define SF_MAX_KEYS 5
#define SF_MAX_COMBINATIONS 150
/* AWS's parser prints at most this many characters of the policy in a message */
#define SF_SOURCE_SNIPPET 500

typedef struct {
    sf_lex_t lx;
    sns_filter_t *f;
    char *err;
    const char *compact;
    size_t compact_len;
    /* the branches being built ($or forks them) */
    sf_branch_t *rules;
    size_t nrules;
    /* the dotted path of the open objects */
    char *path;
    size_t path_len;
} sf_compile_t;

/* ---- ownership ---- */

static void *keep(sns_filter_t *f, void *p)
{
    if (!p)
        return NULL;
    if (f->nowned == f->owned_cap) {
        size_t cap = f->owned_cap ? f->owned_cap * 2 : 16;
        void **n = realloc(f->owned, cap * sizeof *n);
        if (!n) {
            free(p);
            return NULL;
        }
        f->owned = n;
        f->owned_cap = cap;
    }
    f->owned[f->nowned++] = p;
    return p;
}

static void free_rules(sf_branch_t *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rules[i].fields);
    free(rules);
}

void sns_filter_free(sns_filter_t *f)
{
    if (!f)
        return;
    free_rules(f->branches, f->nbranches);
    for (size_t i = 0; i < f->nowned; i++)
        free(f->owned[i]);
    free(f->owned);
    free(f);
}

int sns_filter_is_nested(const sns_filter_t *f)
{
    return f ? f->nested : 0;
}

/* ---- messages ---- */

static char *vformat(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* A refusal without position (the limits, and what AWS's library raises outside its parser). */
static int fail(sf_compile_t *c, const char *fmt, ...)
{
    if (c->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    c->err = vformat(fmt, ap);
    va_end(ap);
    return -1;
}

/* A refusal from the parser: the message, then where the parser stands in the compact policy. */
static int barf(sf_compile_t *c, const char *fmt, ...)
{
    if (c->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    /* the snippet: the first SF_SOURCE_SNIPPET characters, then how many were left out */
    size_t chars = 0, cut = c->compact_len;
    for (size_t i = 0; i < c->compact_len; i++) {
        if (((unsigned char)c->compact[i] & 0xC0) == 0x80)
            continue;
        if (chars == SF_SOURCE_SNIPPET) {
            cut = i;
            break;
        }
        chars++;
    }
    size_t total = chars;
    for (size_t i = cut; i < c->compact_len; i++)
        if (((unsigned char)c->compact[i] & 0xC0) != 0x80)
            total++;
    char trunc[64] = "";
    if (total > chars)
        snprintf(trunc, sizeof trunc, "[truncated %zu chars]", total - chars);
    c->err = format("%s\n at [Source: (String)\"%.*s\"%s; line: 1, column: %zu]", msg ? msg : "", (int)cut,
                    c->compact, trunc, sf_lex_column(&c->lx));
    free(msg);
    return -1;
}

/* ---- limits, counted on the parsed policy ---- */

static unsigned long sat_mul(unsigned long a, unsigned long b)
{
    const unsigned long cap = 1000000UL;
    if (a && b > cap / a)
        return cap;
    return a * b;
}

static unsigned long combinations(const json_t *obj, unsigned long depth, unsigned long comb)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (json_is_object(v)) {
            comb = combinations(v, depth + 1, comb);
        } else if (json_is_array(v) && json_array_size(v) > 0) {
            if (strcmp(key, "$or") == 0) {
                unsigned long sum = 0;
                size_t i;
                json_t *branch;
                json_array_foreach(v, i, branch) {
                    if (json_is_object(branch))
                        sum += combinations(branch, depth, comb);
                    if (sum > 1000000UL)
                        sum = 1000000UL;
                }
                comb = sum;
            } else {
                comb = sat_mul(sat_mul(comb, json_array_size(v)), depth);
            }
        }
    }
    return comb;
}

/* ---- the policy without whitespace, as AWS re-writes it before checking ---- */

static char *compact_json(const char *s, size_t len, size_t *out_len)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_string) {
            o[n++] = ch;
            if (ch == '\\' && i + 1 < len)
                o[n++] = s[++i];
            else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
            o[n++] = ch;
        } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            o[n++] = ch;
        }
    }
    o[n] = '\0';
    *out_len = n;
    return o;
}

/* ---- numbers and addresses ---- */

int sf_parse_number(const char *s, size_t len, double *out)
{
    if (len == 0 || len > 64)
        return 0;
    char buf[80];
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* JSON-style only: no hex, no inf/nan, no leading spaces */
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", buf[i]))
            return 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + len || d != d || d > 1e308 || d < -1e308)
        return 0;
    *out = d;
    return 1;
}

/* A dotted quad: four decimal parts 0..255, no leading zeros. */
static int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    unsigned part = 0;
    int digits = 0, parts = 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = i < len ? s[i] : '\0';
        if (ch >= '0' && ch <= '9') {
            if (digits && part == 0)
                return 0;
            part = part * 10 + (unsigned)(ch - '0');
            if (++digits > 3 || part > 255)
                return 0;
        } else if (ch == '.' || ch == '\0') {
            if (!digits || parts == 4 || (ch == '\0' && i < len))
                return 0;
            out[parts++] = (uint8_t)part;
            part = 0;
            digits = 0;
        } else {
            return 0;
        }
    }
    return parts == 4;
}

int sf_parse_ip(const char *s, size_t len, uint8_t out[16], int *v6)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, 16);
    if (!strchr(buf, ':')) {
        *v6 = 0;
        return parse_ipv4(buf, len, out);
    }
    /* IPv6: groups of up to 4 hex digits, one "::" at most, an IPv4 tail allowed */
    uint16_t groups[8];
    int ngroups = 0, gap = -1;
    size_t i = 0;
    if (buf[0] == ':') {
        if (buf[1] != ':')
            return 0;
        gap = 0;
        i = 2;
    }
    while (buf[i]) {
        size_t start = i;
        unsigned v = 0;
        int digits = 0;
        for (; buf[i] && strchr("0123456789abcdefABCDEF", buf[i]); i++, digits++)
            v = v * 16 + (unsigned)(buf[i] <= '9' ? buf[i] - '0' : (buf[i] | 0x20) - 'a' + 10);
        if (buf[i] == '.') {
            /* the IPv4 tail */
            uint8_t v4[4];
            if (ngroups > 6 || !parse_ipv4(buf + start, len - start, v4))
                return 0;
            groups[ngroups++] = (uint16_t)(v4[0] << 8 | v4[1]);
            groups[ngroups++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (digits == 0 || digits > 4 || ngroups == 8)
            return 0;
        groups[ngroups++] = (uint16_t)v;
        if (buf[i] == ':') {
            if (buf[i + 1] == ':') {
                if (gap >= 0)
                    return 0;
                gap = ngroups;
                i += 2;
            } else {
                i++;
                if (!buf[i])
                    return 0;
            }
        } else if (buf[i]) {
            return 0;
        }
    }
    if (gap < 0 && ngroups != 8)
        return 0;
    if (gap >= 0 && ngroups > 7)
        return 0;
    int fill = 8 - ngroups, o = 0;
    for (int g = 0; g < ngroups; g++) {
        if (g == gap)
            o += fill;
        out[2 * o] = (uint8_t)(groups[g] >> 8);
        out[2 * o + 1] = (uint8_t)groups[g];
        o++;
    }
    *v6 = 1;
    return 1;
}

/* ---- branches ---- */

static sf_branch_t *copy_rules(const sf_branch_t *rules, size_t n)
{
    sf_branch_t *c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        c[i].nfields = rules[i].nfields;
        c[i].fields = malloc((rules[i].nfields ? rules[i].nfields : 1) * sizeof *c[i].fields);
        if (!c[i].fields) {
            free_rules(c, i);
            return NULL;
        }
        memcpy(c[i].fields, rules[i].fields, rules[i].nfields * sizeof *c[i].fields);
    }
    return c;
}

/* Sets the field on every branch; a path set twice keeps its last values, as AWS's library does. */
static int put_field(sf_compile_t *c, const char *path, const sf_pattern_t *patterns, size_t n)
{
    if (c->nrules == 0) {
        /* the first field starts the first branch (an $or branch may hold an empty array already) */
        sf_branch_t *r = realloc(c->rules, sizeof *r);
        if (!r)
            return fail(c, "out of memory");
        memset(r, 0, sizeof *r);
        c->rules = r;
        c->nrules = 1;
    }
    for (size_t b = 0; b < c->nrules; b++) {
        sf_branch_t *br = &c->rules[b];
        size_t i;
        for (i = 0; i < br->nfields && strcmp(br->fields[i].path, path) != 0; i++)
            ;
        if (i == br->nfields) {
            sf_field_t *nf = realloc(br->fields, (br->nfields + 1) * sizeof *nf);
            if (!nf)
                return fail(c, "out of memory");
            br->fields = nf;
            br->nfields++;
        }
        br->fields[i] = (sf_field_t){path, patterns, n};
    }
    return 0;
}

/* ---- match expressions: {"prefix": ...}, {"numeric": [...]} ... ---- */

static char *kept_text(sf_compile_t *c, size_t *len)
{
    const char *t = sf_lex_text(&c->lx);
    *len = strlen(t);
    return keep(c->f, strdup(t));
}

static int expect_end_object(sf_compile_t *c)
{
    if (sf_lex_next(&c->lx) != SF_TOK_END_OBJECT)
        return barf(c, "Only one key allowed in match expression");
    return 0;
}

static int too_many_elements(sf_compile_t *c)
{
    return barf(c, "Too many elements in numeric expression");
}

static int is_numeric_tok(sf_tok_t t)
{
    return t == SF_TOK_NUMBER;
}

static double tok_number(sf_compile_t *c)
{
    const char *t = sf_lex_text(&c->lx);
    double d = 0;
    sf_parse_number(t, strlen(t), &d);
    return d;
}

/* The rest of a two-sided range after its bottom: "<" or "<=" and the top. */
static int numeric_range_top(sf_compile_t *c, sf_pattern_t *p)
{
    if (c->lx.tok != SF_TOK_STRING)
        return barf(c, "Bad value in numeric range: %s", sf_lex_text(&c->lx));
    char *op = strdup(sf_lex_text(&c->lx));
    if (!op)
        return fail(c, "out of memory");
    int rc = 0;
    if (strcmp(op, "<") != 0 && strcmp(op, "<=") != 0)
        rc = barf(c, "Bad numeric range operator: %s", op);
    else if (!is_numeric_tok(sf_lex_next(&c->lx)))
        rc = barf(c, "Value of %s must be numeric", op);
    if (rc == 0) {
        p->has_hi = 1;
        p->hi_open = op[1] == '\0';
        p->hi = tok_number(c);
        if (sf_lex_next(&c->lx) != SF_TOK_END_ARRAY)
            rc = barf(c, "Too many terms in numeric range expression");
        else if (!(p->lo < p->hi))
            rc = barf(c, "Bottom must be less than top");
    }
    free(op);
    return rc;
}

static int numeric_expression(sf_compile_t *c, sf_pattern_t *p)
{
    p->kind = SF_NUMERIC;
    if (sf_lex_next(&c->lx) != SF_TOK_STRING)
        return barf(c, "Invalid member in numeric match: %s", sf_lex_text(&c->lx));
    char op[4] = "";
    const char *t = sf_lex_text(&c->lx);
    int known = strcmp(t, "=") == 0 || strcmp(t, "<") == 0 || strcmp(t, "<=") == 0 || strcmp(t, ">") == 0 ||
                strcmp(t, ">=") == 0;
    char *unknown = known ? NULL : strdup(t);
    if (known)
        strcpy(op, t);
    sf_tok_t v = sf_lex_next(&c->lx);
    if (!known) {
        int rc = barf(c, "Unrecognized numeric range operator: %s", unknown ? unknown : "");
        free(unknown);
        return rc;
    }
    if (!is_numeric_tok(v))
        return barf(c, "Value of %s must be numeric", strcmp(op, "=") == 0 ? "equals" : op);
    double val = tok_number(c);
    if (op[0] == '=' || op[0] == '<') {
        if (op[0] == '=') {
            p->has_lo = p->has_hi = 1;
            p->lo = p->hi = val;
        } else {
            p->has_hi = 1;
            p->hi_open = op[1] == '\0';
            p->hi = val;
        }
        if (sf_lex_next(&c->lx) != SF_TOK_END_ARRAY)
            return too_many_elements(c);
        return 0;
    }
    p->has_lo = 1;
    p->lo_open = op[1] == '\0';
    p->lo = val;
    if (sf_lex_next(&c->lx) == SF_TOK_END_ARRAY)
        return 0;
    return numeric_range_top(c, p);
}

static int anything_but_list(sf_compile_t *c, sf_pattern_t *p)
{
    size_t cap = 0;
    int has_number = 0, has_string = 0, rc = 0;
    sf_tok_t t;
    while (rc == 0 && (t = sf_lex_next(&c->lx)) != SF_TOK_END_ARRAY) {
        if (t != SF_TOK_STRING && t != SF_TOK_NUMBER) {
            rc = barf(c, "Inside anything but list, start|null|boolean is not supported.");
            break;
        }
        if (p->ab_count == cap) {
            cap = cap ? cap * 2 : 4;
            char **s = realloc(p->ab_strings, cap * sizeof *s);
            if (s)
                p->ab_strings = s;
            size_t *l = realloc(p->ab_string_lens, cap * sizeof *l);
            if (l)
                p->ab_string_lens = l;
            double *d = realloc(p->ab_numbers, cap * sizeof *d);
            if (d)
                p->ab_numbers = d;
            if (!s || !l || !d) {
                rc = fail(c, "out of memory");
                break;
            }
        }
        if (t == SF_TOK_STRING) {
            has_string = 1;
            p->ab_strings[p->ab_count] = kept_text(c, &p->ab_string_lens[p->ab_count]);
        } else {
            has_number = 1;
            p->ab_numbers[p->ab_count] = tok_number(c);
        }
        p->ab_count++;
    }
    /* grown in place until here: the filter owns the arrays from now on */
    keep(c->f, p->ab_strings);
    keep(c->f, p->ab_string_lens);
    keep(c->f, p->ab_numbers);
    if (rc != 0)
        return rc;
    if (has_number == has_string)
        return barf(c, "Inside anything but list, either all values are number or string, "
                       "mixed type is not supported");
    p->ab_numeric = has_number;
    return 0;
}

static int anything_but(sf_compile_t *c, sf_pattern_t *p)
{
    p->kind = SF_ANYTHING_BUT;
    sf_tok_t t = sf_lex_next(&c->lx);
    if (t == SF_TOK_START_OBJECT) {
        if (sf_lex_next(&c->lx) != SF_TOK_FIELD_NAME)
            return barf(c, "Anything-But expression name not found");
        if (strcmp(sf_lex_text(&c->lx), "prefix") != 0)
            return barf(c, "Unsupported anything-but pattern: %s", sf_lex_text(&c->lx));
        if (sf_lex_next(&c->lx) != SF_TOK_STRING)
            return barf(c, "prefix match pattern must be a string");
        p->kind = SF_ANYTHING_BUT_PREFIX;
        p->text = kept_text(c, &p->text_len);
        if (p->text && p->text_len == 0)
            return barf(c, "Null prefix not allowed");
        if (sf_lex_next(&c->lx) != SF_TOK_END_OBJECT)
            return too_many_elements(c);
        if (sf_lex_next(&c->lx) != SF_TOK_END_OBJECT)
            return too_many_elements(c);
        return 0;
    }
    if (t == SF_TOK_START_ARRAY) {
        if (anything_but_list(c, p) != 0)
            return -1;
    } else if (t == SF_TOK_STRING || t == SF_TOK_NUMBER) {
        p->ab_strings = keep(c->f, calloc(1, sizeof *p->ab_strings));
        p->ab_string_lens = keep(c->f, calloc(1, sizeof *p->ab_string_lens));
        p->ab_numbers = keep(c->f, calloc(1, sizeof *p->ab_numbers));
        if (!p->ab_strings || !p->ab_string_lens || !p->ab_numbers)
            return fail(c, "out of memory");
        p->ab_count = 1;
        p->ab_numeric = t == SF_TOK_NUMBER;
        if (p->ab_numeric)
            p->ab_numbers[0] = tok_number(c);
        else
            p->ab_strings[0] = kept_text(c, &p->ab_string_lens[0]);
    } else {
        return barf(c, "Value of anything-but must be an array or single string/number value.");
    }
    if (sf_lex_next(&c->lx) != SF_TOK_END_OBJECT)
        return too_many_elements(c);
    return 0;
}

static int cidr(sf_compile_t *c, sf_pattern_t *p)
{
    p->kind = SF_CIDR;
    if (sf_lex_next(&c->lx) != SF_TOK_STRING)
        return barf(c, "prefix match pattern must be a string");
    const char *t = sf_lex_text(&c->lx);
    const char *slash = strchr(t, '/');
    if (!slash || strchr(slash + 1, '/'))
        return fail(c, "Malformed CIDR, one '/' required");
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (slash[1] == '\0' || *end != '\0')
        return fail(c, "Malformed CIDR, mask bits must be an integer");
    if (!sf_parse_ip(t, (size_t)(slash - t), p->cidr_addr, &p->cidr_v6))
        return fail(c, "Nonstandard IP address: %.*s", (int)(slash - t), t);
    int max = p->cidr_v6 ? 128 : 32;
    if (bits < 0 || bits > max)
        return fail(c, "Malformed CIDR, mask bits must be between 0 and %d", max);
    p->cidr_bits = (int)bits;
    return expect_end_object(c);
}

/* After "{": one match type and its operand. */
static int match_expression(sf_compile_t *c, sf_pattern_t *p)
{
    if (sf_lex_next(&c->lx) != SF_TOK_FIELD_NAME)
        return barf(c, "Match expression name not found");
    char type[24];
    snprintf(type, sizeof type, "%s", sf_lex_text(&c->lx));
    int known = strlen(sf_lex_text(&c->lx)) < sizeof type - 1;
    if (known && (strcmp(type, "prefix") == 0 || strcmp(type, "suffix") == 0 ||
                  strcmp(type, "equals-ignore-case") == 0)) {
        if (sf_lex_next(&c->lx) != SF_TOK_STRING)
            return barf(c, "%s match pattern must be a string", type);
        p->kind = type[0] == 'p' ? SF_PREFIX : type[0] == 's' ? SF_SUFFIX : SF_EQUALS_IGNORE_CASE;
        p->text = kept_text(c, &p->text_len);
        if (!p->text)
            return fail(c, "out of memory");
        return expect_end_object(c);
    }
    if (known && strcmp(type, "numeric") == 0) {
        if (sf_lex_next(&c->lx) != SF_TOK_START_ARRAY)
            return barf(c, "Value of numeric must be an array.");
        if (numeric_expression(c, p) != 0)
            return -1;
        if (sf_lex_next(&c->lx) != SF_TOK_END_OBJECT)
            return too_many_elements(c);
        return 0;
    }
    if (known && strcmp(type, "anything-but") == 0)
        return anything_but(c, p);
    if (known && strcmp(type, "exists") == 0) {
        sf_tok_t t = sf_lex_next(&c->lx);
        if (t != SF_TOK_TRUE && t != SF_TOK_FALSE)
            return barf(c, "exists match pattern must be either true or false.");
        p->kind = SF_EXISTS;
        p->exists = t == SF_TOK_TRUE;
        return expect_end_object(c);
    }
    if (known && strcmp(type, "cidr") == 0)
        return cidr(c, p);
    return barf(c, "Unrecognized match type %s", sf_lex_text(&c->lx));
}

/* After "[": the values of one field. */
static int write_rules(sf_compile_t *c, const char *path)
{
    sf_pattern_t *pats = NULL;
    size_t n = 0, cap = 0;
    sf_tok_t t;
    while ((t = sf_lex_next(&c->lx)) != SF_TOK_END_ARRAY) {
        if (t == SF_TOK_EOF) {
            free(pats);
            return barf(c, "Unexpected end of input");
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            sf_pattern_t *np = realloc(pats, cap * sizeof *np);
            if (!np) {
                free(pats);
                return fail(c, "out of memory");
            }
            pats = np;
        }
        sf_pattern_t *p = &pats[n++];
        memset(p, 0, sizeof *p);
        int rc = 0;
        switch (t) {
        case SF_TOK_START_OBJECT:
            rc = match_expression(c, p);
            break;
        case SF_TOK_STRING:
            p->kind = SF_EXACT_STRING;
            p->text = kept_text(c, &p->text_len);
            if (!p->text)
                rc = fail(c, "out of memory");
            break;
        case SF_TOK_NUMBER:
            p->kind = SF_EXACT_NUMBER;
            p->number = tok_number(c);
            break;
        case SF_TOK_TRUE:
            p->kind = SF_EXACT_TRUE;
            break;
        case SF_TOK_FALSE:
            p->kind = SF_EXACT_FALSE;
            break;
        case SF_TOK_NULL:
            p->kind = SF_EXACT_NULL;
            break;
        default:
            rc = barf(c, "Match value must be String, number, true, false, or null");
            break;
        }
        if (rc != 0) {
            free(pats);
            return -1;
        }
    }
    if (n == 0) {
        free(pats);
        return barf(c, "Empty arrays are not allowed");
    }
    if (!keep(c->f, pats))
        return fail(c, "out of memory");
    return put_field(c, path, pats, n);
}

static int parse_object(sf_compile_t *c, int inside_or);

/* Pushes a key on the dotted path; returns the previous length to pop back to. */
static size_t path_push(sf_compile_t *c, const char *name)
{
    size_t old = c->path_len, nl = strlen(name);
    char *np = realloc(c->path, old + nl + 2);
    if (!np)
        return (size_t)-1;
    c->path = np;
    if (old)
        c->path[c->path_len++] = '.';
    memcpy(c->path + c->path_len, name, nl + 1);
    c->path_len += nl;
    return old;
}

static void path_pop(sf_compile_t *c, size_t old)
{
    c->path_len = old;
    if (c->path)
        c->path[old] = '\0';
}

/* After "$or": an array of at least 2 objects, each forking the branches built so far. */
static int parse_or(sf_compile_t *c)
{
    sf_branch_t *current = c->rules;
    size_t ncurrent = c->nrules;
    c->rules = NULL;
    c->nrules = 0;
    int rc = 0, count = 0;
    if (sf_lex_next(&c->lx) != SF_TOK_START_ARRAY) {
        rc = barf(c, "It must be an Array followed with $or.");
    } else {
        sf_tok_t t;
        while (rc == 0 && (t = sf_lex_next(&c->lx)) != SF_TOK_END_ARRAY) {
            count++;
            if (t != SF_TOK_START_OBJECT) {
                rc = barf(c, "Only JSON object is allowed in array of $or relationship.");
                break;
            }
            sf_branch_t *all = c->rules;
            size_t nall = c->nrules;
            c->rules = copy_rules(current, ncurrent);
            c->nrules = ncurrent;
            if (!c->rules) {
                c->rules = all;
                c->nrules = nall;
                rc = fail(c, "out of memory");
                break;
            }
            rc = parse_object(c, 1);
            /* append this branch's rules to those of the branches before it */
            sf_branch_t *merged = realloc(all, (nall + c->nrules + 1) * sizeof *merged);
            if (!merged) {
                free_rules(c->rules, c->nrules);
                c->rules = all;
                c->nrules = nall;
                rc = fail(c, "out of memory");
                break;
            }
            memcpy(merged + nall, c->rules, c->nrules * sizeof *merged);
            size_t added = c->nrules;
            free(c->rules);
            c->rules = merged;
            c->nrules = nall + added;
        }
        if (rc == 0 && count < 2)
            rc = barf(c, "There must have at least 2 Objects in $or relationship.");
    }
    free_rules(current, ncurrent);
    return rc;
}

static int is_match_type(const char *name)
{
    static const char *const types[] = {"anything-but", "cidr", "equals-ignore-case", "exists", "numeric",
                                        "prefix", "suffix"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(name, types[i]) == 0)
            return 1;
    return 0;
}

/* After "{": the keys of a policy object, each an object (nesting) or an array (values). */
static int parse_object(sf_compile_t *c, int inside_or)
{
    int fields = 0;
    sf_tok_t t;
    while ((t = sf_lex_next(&c->lx)) != SF_TOK_END_OBJECT) {
        if (t != SF_TOK_FIELD_NAME)
            return barf(c, "Unexpected end of input");
        fields = 1;
        char *name = strdup(sf_lex_text(&c->lx));
        if (!name)
            return fail(c, "out of memory");
        int rc;
        if (strcmp(name, "$or") == 0) {
            rc = parse_or(c);
        } else if (inside_or && is_match_type(name)) {
            rc = barf(c, "%s is Ruler reserved fieldName which cannot be used inside $or.", name);
        } else {
            t = sf_lex_next(&c->lx);
            size_t old = path_push(c, name);
            if (old == (size_t)-1) {
                rc = fail(c, "out of memory");
            } else if (t == SF_TOK_START_OBJECT) {
                c->f->nested = 1;
                rc = parse_object(c, inside_or);
            } else if (t == SF_TOK_START_ARRAY) {
                char *path = keep(c->f, strdup(c->path));
                rc = path ? write_rules(c, path) : fail(c, "out of memory");
            } else {
                rc = barf(c, "\"%s\" must be an object or an array", name);
            }
            if (old != (size_t)-1)
                path_pop(c, old);
        }
        free(name);
        if (rc != 0)
            return -1;
    }
    if (!fields)
        return barf(c, "Empty objects are not allowed");
    return 0;
}

sns_filter_t *sns_filter_compile(const char *json, size_t len, char **err)
{
    sf_compile_t c;
    memset(&c, 0, sizeof c);
    *err = NULL;
    if (len > SF_MAX_BYTES) {
        *err = strdup("Filter policy is too large");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!doc) {
        *err = strdup("failed to parse JSON.");
        return NULL;
    }
    c.f = calloc(1, sizeof *c.f);
    c.compact = compact_json(json, len, &c.compact_len);
    if (!c.f || !c.compact) {
        fail(&c, "out of memory");
    } else if (json_is_object(doc) && json_object_size(doc) > SF_MAX_KEYS) {
        fail(&c, "Filter policy can not have more than %d keys", SF_MAX_KEYS);
    } else if (json_is_object(doc) && combinations(doc, 1, 1) > SF_MAX_COMBINATIONS) {
        fail(&c, "Filter policy is too complex");
    } else {
        sf_lex_init(&c.lx, c.compact, c.compact_len);
        if (sf_lex_next(&c.lx) != SF_TOK_START_OBJECT)
            barf(&c, "Filter is not an object");
        else
            parse_object(&c, 0);
        sf_lex_done(&c.lx);
    }
    json_decref(doc);
    free((char *)c.compact);
    free(c.path);
    if (c.err) {
        free_rules(c.rules, c.nrules);
        sns_filter_free(c.f);
        *err = c.err;
        return NULL;
    }
    c.f->branches = c.rules;
    c.f->nbranches = c.nrules;
    return c.f;
}
