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

#endif
