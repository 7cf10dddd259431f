/* The filter policy reader: JSON tokens of the compact policy text, with the read-ahead of AWS's own parser
 * (a streaming JSON parser) so that the column named in an error message is the one AWS names. Its habits, as
 * AWS's recorded messages show them:
 *  - a field name is read together with the start of its value (a number or true/false/null whole, the
 *    opening quote of a string, the bracket of an object or array);
 *  - a string's body is read only when its text is asked for, or skipped when the next token is;
 *  - a number ends where the next character starts, which stays unread.
 * The text is valid JSON (jansson read it first) with no whitespace outside strings. */
#include <stdlib.h>
#include <string.h>

#include "sns_filter_int.h"

static int lex_push(sf_lex_t *lx, char kind)
{
    if (lx->depth >= (int)sizeof lx->ctx)
        return -1;
    lx->ctx[lx->depth++] = kind;
    return 0;
}

static char lex_top(const sf_lex_t *lx)
{
    return lx->depth > 0 ? lx->ctx[lx->depth - 1] : 0;
}

/* The end of the string whose body starts at pos: the index of its closing quote. */
static size_t string_end(const sf_lex_t *lx, size_t pos)
{
    while (pos < lx->len && lx->src[pos] != '"')
        pos += lx->src[pos] == '\\' ? 2 : 1;
    return pos < lx->len ? pos : lx->len;
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The decoded text of the string body [start, end). */
static char *decode_string(const char *s, size_t start, size_t end)
{
    char *out = malloc(end - start + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        if (s[i] != '\\' || i + 1 >= end) {
            out[o++] = s[i];
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            if (i + 4 >= end)
                break;
            unsigned cp = hex4(s + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && s[i + 1] == '\\' && s[i + 2] == 'u') {
                unsigned lo = hex4(s + i + 3);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default: out[o++] = e; break; /* \" \\ \/ */
        }
    }
    out[o] = '\0';
    return out;
}

static size_t number_end(const sf_lex_t *lx, size_t pos)
{
    while (pos < lx->len && strchr("0123456789+-.eE", lx->src[pos]))
        pos++;
    return pos;
}

/* Reads the value token starting at pos (not a field name); sets *start and *end around its text. */
static sf_tok_t read_value(sf_lex_t *lx, size_t *start, size_t *end, int *pending)
{
    *pending = 0;
    if (lx->pos >= lx->len)
        return SF_TOK_EOF;
    char c = lx->src[lx->pos];
    *start = lx->pos;
    switch (c) {
    case '{':
        lx->pos++;
        *end = lx->pos;
        return lex_push(lx, 'o') == 0 ? SF_TOK_START_OBJECT : SF_TOK_EOF;
    case '[':
        lx->pos++;
        *end = lx->pos;
        return lex_push(lx, 'a') == 0 ? SF_TOK_START_ARRAY : SF_TOK_EOF;
    case ']':
    case '}':
        lx->pos++;
        *end = lx->pos;
        if (lx->depth > 0)
            lx->depth--;
        return c == ']' ? SF_TOK_END_ARRAY : SF_TOK_END_OBJECT;
    case '"':
        lx->pos++;
        *start = lx->pos;
        *pending = 1;
        return SF_TOK_STRING;
    case 't':
        lx->pos += 4;
        *end = lx->pos;
        return SF_TOK_TRUE;
    case 'f':
        lx->pos += 5;
        *end = lx->pos;
        return SF_TOK_FALSE;
    case 'n':
        lx->pos += 4;
        *end = lx->pos;
        return SF_TOK_NULL;
    default:
        lx->pos = number_end(lx, lx->pos);
        *end = lx->pos;
        return SF_TOK_NUMBER;
    }
}

void sf_lex_init(sf_lex_t *lx, const char *compact, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->src = compact;
    lx->len = len;
}

void sf_lex_done(sf_lex_t *lx)
{
    free(lx->text);
    lx->text = NULL;
}

sf_tok_t sf_lex_next(sf_lex_t *lx)
{
    free(lx->text);
    lx->text = NULL;
    if (lx->string_pending) {
        lx->pos = string_end(lx, lx->pos) + 1;
        lx->string_pending = 0;
    }
    if (lx->next != SF_TOK_NONE) {
        lx->tok = lx->next;
        lx->next = SF_TOK_NONE;
        lx->tok_start = lx->next_start;
        lx->tok_end = lx->next_end;
        lx->string_pending = lx->next_pending;
        return lx->tok;
    }
    if (lx->pos < lx->len && lx->src[lx->pos] == ',')
        lx->pos++;
    if (lex_top(lx) == 'o' && lx->pos < lx->len && lx->src[lx->pos] == '"') {
        /* a field name, then the start of its value */
        size_t start = lx->pos + 1, end = string_end(lx, start);
        lx->tok = SF_TOK_FIELD_NAME;
        lx->tok_start = start;
        lx->tok_end = end;
        lx->pos = end + 1;
        if (lx->pos < lx->len && lx->src[lx->pos] == ':')
            lx->pos++;
        lx->next = read_value(lx, &lx->next_start, &lx->next_end, &lx->next_pending);
        return lx->tok;
    }
    int pending;
    lx->tok = read_value(lx, &lx->tok_start, &lx->tok_end, &pending);
    lx->string_pending = pending;
    return lx->tok;
}

const char *sf_lex_text(sf_lex_t *lx)
{
    if (lx->text)
        return lx->text;
    switch (lx->tok) {
    case SF_TOK_STRING:
        if (lx->string_pending) {
            lx->tok_end = string_end(lx, lx->tok_start);
            lx->pos = lx->tok_end + 1;
            lx->string_pending = 0;
        }
        lx->text = decode_string(lx->src, lx->tok_start, lx->tok_end);
        break;
    case SF_TOK_FIELD_NAME:
        lx->text = decode_string(lx->src, lx->tok_start, lx->tok_end);
        break;
    case SF_TOK_EOF:
    case SF_TOK_NONE:
        lx->text = strdup("");
        break;
    default:
        lx->text = strndup(lx->src + lx->tok_start, lx->tok_end - lx->tok_start);
        break;
    }
    return lx->text ? lx->text : "";
}

size_t sf_lex_column(const sf_lex_t *lx)
{
    size_t col = 1;
    for (size_t i = 0; i < lx->pos && i < lx->len; i++)
        if (((unsigned char)lx->src[i] & 0xC0) != 0x80)
            col++;
    return col;
}
