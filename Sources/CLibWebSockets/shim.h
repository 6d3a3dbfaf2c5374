#ifndef SHARED_BROWSER_CLIBWEBSOCKETS_SHIM_H
#define SHARED_BROWSER_CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>
#include <string.h>

/// `LWS_PRE` is a macro expression Swift cannot import.
static inline size_t cws_pre(void) { return LWS_PRE; }

/// Writes the status line, common headers and `extra_count` more headers (`names[i]` must end with
/// ':') of an HTTP response into `buf` (which starts `LWS_PRE` bytes into its allocation), and sends
/// them. Returns 0 on success, non-zero when the connection should close.
static inline int cws_write_http_headers(struct lws *wsi, unsigned int status,
                                         const char *content_type,
                                         unsigned long content_length,
                                         const char *const *names, const char *const *values,
                                         int extra_count,
                                         unsigned char *buf, size_t buf_len) {
    unsigned char *start = buf, *p = buf, *end = buf + buf_len;
    if (lws_add_http_common_headers(wsi, status, content_type,
                                    (lws_filepos_t)content_length, &p, end))
        return 1;
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end))
        return 1;
    for (int i = 0; i < extra_count; i++) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)names[i],
                                        (const unsigned char *)values[i],
                                        (int)strlen(values[i]), &p, end))
            return 1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    return 0;
}

/// The end of the room for headers in LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER (`in` is the
/// `unsigned char **` write position, `len` the room left when the callback came).
static inline unsigned char *cws_handshake_end(void *in, size_t len) {
    return *(unsigned char **)in + len;
}

/// Adds one header to a client handshake at the write position `in`, moving it on. `name` must end
/// with ':'. Returns 0 on success, non-zero when it does not fit before `end`.
static inline int cws_append_client_header(struct lws *wsi, void *in, unsigned char *end,
                                           const char *name, const char *value) {
    unsigned char **p = (unsigned char **)in;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

/// Lets lws read what arrived for an HTTP client connection (LWS_CALLBACK_RECEIVE_CLIENT_HTTP); the
/// bytes come back through LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ.
static inline int cws_http_client_drain(struct lws *wsi) {
    char buffer[4096 + LWS_PRE];
    char *p = buffer + LWS_PRE;
    int len = (int)(sizeof(buffer) - LWS_PRE);
    return lws_http_client_read(wsi, &p, &len);
}

#endif
