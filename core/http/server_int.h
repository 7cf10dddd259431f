/*
 * Internals shared by the HTTP server's files: server.c (listeners, life
 * cycle), conn.c (reading, parsing, timers of one connection) and write.c
 * (serialising and writing responses in request order).
 */
#ifndef NB_HTTP_SERVER_INT_H
#define NB_HTTP_SERVER_INT_H

#include <llhttp.h>
#include <stdbool.h>
#include <time.h>

#include "http/server.h"
#include "http/tls.h"

#define NB__HTTP_READ_BUF (64 * 1024)    /* one per server: reads are parsed at once, leftovers copied */
#define NB__HTTP_CHUNK (256 * 1024)      /* file bodies are sent in pieces of this size */
#define NB__HTTP_MAX_QUEUED 64           /* exchanges queued on a connection before parsing pauses */
#define NB__HTTP_BATCH 32                /* pipelined answers written by one uv_write */
#define NB__HTTP_PENDING_MAX (256 * 1024) /* unparsed pipelined bytes before reading pauses */
#define NB__HTTP_LINGER_MS 1000          /* reading after our FIN so the client sees the answer */
#define NB__HTTP_POOL 64                 /* spare exchanges a server keeps for the next requests */
#define NB__HTTP_POOL_HEAD 2048          /* an exchange whose head buffer grew past this is not kept */

typedef struct nb__http_conn nb__http_conn_t;
typedef struct nb__http_file_out nb__http_file_out_t;

/* A file body on its way out: two NB__HTTP_CHUNK buffers, one read on the thread pool while the
 * other is written. Only an exchange sending a file holds one (memory per connection stays small). */
struct nb__http_file_out {
    uv_work_t work;
    uv_write_t wr; /* the chunk being written */
    int64_t read_off, stream_len; /* next offset to read, total */
    int read_idx, ready_idx, write_idx; /* -1: none */
    ssize_t read_len, ready_len;
    bool writing;
    char chunk[]; /* 2 * NB__HTTP_CHUNK */
};

/* A piece of the request head (the URL, a header's name or value) while it is parsed: a slice of
 * the bytes llhttp parses when it came whole in one callback (the usual case), copied into buf
 * only when it is split across callbacks or reads (conn.c). */
typedef struct nb__http_piece {
    const char *at; /* the slice; NULL: the piece is buf's bytes */
    size_t len;
    nb__buf_t buf;
} nb__http_piece_t;

enum nb__x_state {
    NB__X_PARSING,   /* request still coming in */
    NB__X_HANDLER,   /* complete, handed to the handler, not answered yet */
    NB__X_RESPONDED, /* answered, waiting for earlier responses to go out */
    NB__X_SUBMITTED, /* being written */
};

struct nb__http_exchange {
    nb__http_exchange_t *next; /* the connection's queue, in request order */
    nb__http_conn_t *conn;     /* NULL once aborted or orphaned */
    nb__http_request_t req;
    nb__http_response_t resp;
    enum nb__x_state state;
    bool headers_done, head_only, keep_alive, http10;
    bool expect_continue, continue_sent;
    bool aborted, close_after;
    bool streaming, head_sent, orphan;
    nb__http_stream_t *chunked; /* a streamed answer (chunked.c), until its last chunk is written */
    bool too_large_to_handler; /* the handler answers a body over the limit itself (head hook) */
    uint64_t body_bytes;
    void (*on_abort)(nb__http_exchange_t *x, void *data);
    void *abort_data;
    void *data;
    /* write state */
    nb__buf_t head;
    nb__http_file_out_t *file; /* a file body being sent (write.c), NULL otherwise */
    bool work_busy;            /* file->work runs on the thread pool: file and x are its until after_read */
    unsigned batch; /* answers written by the write this one started (this one and the next ones) */
    /* The request head while it is parsed (freed at its end): an idle connection holds none. */
    nb__http_piece_t url, field, value;
};

struct nb__http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    nb__http_server_t *srv;
    nb__http_conn_t *prev, *next;
    llhttp_t parser;
    nb__http_exchange_t *qhead, *qtail; /* every exchange not yet written, in order */
    size_t nqueued;
    nb__http_exchange_t *cur;     /* being parsed */
    nb__http_exchange_t *waiting; /* with the handler; parsing waits for it */
    size_t head_bytes;
    bool msg_done;
    int reject;          /* status to answer once llhttp returns */
    uint64_t head_start; /* loop time of a request's first byte */
    uint64_t last_activity; /* last bytes read */
    uint64_t last_write;    /* last write issued or completed */
    uint64_t linger_until;
    uint64_t timer_due;
    nb__buf_t pending; /* received but not parsed yet (pipelining) */
    size_t pending_off;
    bool reading, in_parse, no_more, eof, closing, shutting, lingering;
    int handles_open;
    char peer[64];
    struct nb__tls_conn *tls; /* a TLS connection's state (tls.c); NULL: plain HTTP */
    bool tls_sniffed;         /* its first byte was seen */
};

struct nb__http_server {
    uv_loop_t *loop;
    nb__http_limits_t limits;
    char *tmpdir;
    nb__http_handler_fn handler;
    nb__http_head_fn on_head;
    void *data;
    char *rbuf; /* shared by every connection's reads */
    /* Exchanges done with, kept for the next requests of any connection (at most
     * NB__HTTP_POOL): an idle keep-alive connection holds no exchange of its own. */
    nb__http_exchange_t *pool;
    size_t npool;
    uv_tcp_t **listeners;
    size_t nlisteners, listeners_open;
    int port;
    nb__http_conn_t *conns;
    size_t nconns, inflight;
    size_t capacity; /* connections the descriptor limit leaves room for (nb__http_server_capacity) */
    bool closing, finishing;
    uv_timer_t grace;
    nb__tls_ctx_t *tls; /* NULL: plain HTTP only */
    uv_timer_t trim;   /* trim.c: memory back to the system after a burst of connections */
    size_t trim_peak;  /* connections open at most since the last trim */
    int timers_open;   /* grace and trim, until the server is freed */
    void (*on_closed)(void *data);
    void *closed_data;
    /* cached Date header value, refreshed once a second */
    time_t date_sec;
    char date[40];
};

/* conn.c */
void nb__conn_accept(nb__http_server_t *srv, uv_stream_t *listener);
void nb__conn_close(nb__http_conn_t *c);      /* hard close: aborts what is unanswered */
void nb__conn_shutdown(nb__http_conn_t *c);   /* FIN after the last write, then linger */
void nb__conn_resume(nb__http_conn_t *c);     /* parse what is pending once unblocked */
void nb__conn_timer_update(nb__http_conn_t *c);
void nb__conn_reply_error(nb__http_conn_t *c, int status);
bool nb__conn_idle(const nb__http_conn_t *c);
void nb__exchange_release(nb__http_conn_t *c, nb__http_exchange_t *x);
void nb__exchange_free(nb__http_exchange_t *x);
void nb__conn_received(nb__http_conn_t *c, const char *data, size_t len); /* plaintext read */
void nb__conn_eof(nb__http_conn_t *c);                                    /* the client's end of stream */

/* write.c */
void nb__conn_flush(nb__http_conn_t *c); /* start writing whatever can go out now */
/* The first `count` exchanges of the queue were written: release them, go on with the next. */
void nb__conn_sent(nb__http_conn_t *c, unsigned count);
/* nb__http_respond, and with s a streamed answer (s becomes x->chunked). */
void nb__http_respond_with(nb__http_exchange_t *x, nb__http_response_t *resp, nb__http_stream_t *s);

/* chunked.c */
int nb__http_stream_start(nb__http_conn_t *c, nb__http_exchange_t *x); /* the head is built: send it */
void nb__http_stream_detach(nb__http_exchange_t *x); /* x goes away: its stream is cancelled */
bool nb__http_stream_waiting(const nb__http_stream_t *s); /* nothing to write: the producer's turn */

/* server.c */
void nb__server_conn_gone(nb__http_server_t *srv);

/* trim.c */
void nb__http_trim_init(nb__http_server_t *srv);
void nb__http_trim_conn_opened(nb__http_server_t *srv);
void nb__http_trim_conn_gone(nb__http_server_t *srv); /* nconns just went down */

#endif
