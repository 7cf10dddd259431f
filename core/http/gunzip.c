/* gzip request bodies decoded in bounded memory (gunzip.h). */
#include "http/gunzip.h"

#include <stdbool.h>
#include <stdlib.h>
#include <zlib.h>

#include "http/body.h"
#include "nimbus/errno.h"

#define IN_CHUNK (64 * 1024)
#define OUT_CHUNK (64 * 1024)

/* 16 + MAX_WBITS: zlib reads the gzip wrapper (header, CRC-32, length) and checks it. */
#define GZIP_WINDOW_BITS (16 + MAX_WBITS)

#define PREFIX_FULL 100 /* the prefix asked for is decoded (apart from zlib's Z_OK, Z_STREAM_END) */

typedef struct inflater {
    z_stream zs;
    nb_body_t *out;
    uint64_t written, max;
    bool prefix; /* past max: stop, keeping what fits */
    unsigned char buf[OUT_CHUNK];
} inflater_t;

/* Inflates what zs holds as input; appends the output. Z_OK, Z_STREAM_END, or an NB_E* code. */
static int inflate_input(inflater_t *f) {
    for (;;) {
        f->zs.next_out = f->buf;
        f->zs.avail_out = sizeof f->buf;
        int zrc = inflate(&f->zs, Z_NO_FLUSH);
        size_t got = sizeof f->buf - f->zs.avail_out;
        if (got > 0) {
            if (got > f->max - f->written) {
                if (!f->prefix)
                    return NB_ELIMIT;
                got = (size_t)(f->max - f->written);
                if (got > 0 && nb__body_append(f->out, f->buf, got) != 0)
                    return NB_ENOMEM;
                f->written += got;
                return PREFIX_FULL;
            }
            if (nb__body_append(f->out, f->buf, got) != 0)
                return NB_ENOMEM;
            f->written += got;
        }
        if (zrc == Z_STREAM_END)
            return Z_STREAM_END;
        if (zrc == Z_MEM_ERROR)
            return NB_ENOMEM;
        if (zrc == Z_BUF_ERROR) /* no progress possible: this input is used up */
            return Z_OK;
        if (zrc != Z_OK)
            return NB_EPROTO;
        if (f->zs.avail_in == 0 && f->zs.avail_out != 0)
            return Z_OK;
    }
}

static int gunzip_all(inflater_t *f, nb_body_t *in, unsigned char *ibuf) {
    int64_t size = nb__body_size(in), off = 0;
    if (size == 0)
        return NB_EPROTO; /* an empty body holds no gzip member */
    bool member_done = false;
    while (off < size || f->zs.avail_in > 0) {
        if (f->zs.avail_in == 0) {
            ssize_t n = nb__body_read(in, off, ibuf, IN_CHUNK);
            if (n <= 0)
                return NB_EIO;
            off += n;
            f->zs.next_in = ibuf;
            f->zs.avail_in = (uInt)n;
        }
        if (member_done) { /* another member follows the one that ended */
            if (inflateReset(&f->zs) != Z_OK)
                return NB_EPROTO;
            member_done = false;
        }
        int rc = inflate_input(f);
        if (rc < 0)
            return rc;
        if (rc == PREFIX_FULL)
            return 0;
        member_done = rc == Z_STREAM_END;
    }
    return member_done ? 0 : NB_EPROTO; /* the last member cut short */
}

int nb__gunzip_body(nb_body_t *in, uint64_t max, bool prefix, nb_body_t **out) {
    *out = NULL;
    inflater_t *f = calloc(1, sizeof *f);
    unsigned char *ibuf = malloc(IN_CHUNK);
    if (f == NULL || ibuf == NULL) {
        free(f);
        free(ibuf);
        return NB_ENOMEM;
    }
    f->max = max;
    f->prefix = prefix;
    f->out = nb__body_from_mem("", 0);
    int rc = f->out == NULL ? NB_ENOMEM : Z_OK;
    if (rc == Z_OK && inflateInit2(&f->zs, GZIP_WINDOW_BITS) != Z_OK)
        rc = NB_ENOMEM;
    else if (rc == Z_OK) {
        rc = gunzip_all(f, in, ibuf);
        inflateEnd(&f->zs);
    }
    if (rc == 0)
        *out = f->out;
    else if (f->out)
        nb__body_free(f->out);
    free(ibuf);
    free(f);
    return rc;
}
