/* SPDX-License-Identifier: BSD-3-Clause */
/* Parses IPFIX destinations: a file path, udp://HOST:PORT or tcp://HOST:PORT. */
#include "export/ipfix.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "flowdx/flowdx_export.h"

/* A host name's characters (RFC 1123 labels), or an IPv4 address's. */
static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* "1".."65535" ("0" too when @p listen), digits only, into ret->port. */
static int parse_port(const char *text, const char *p, bool listen, struct fdxi_ipfix_dest *ret,
                      char *errbuf, size_t errlen)
{
    size_t n = strlen(p);
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9' || i >= 5) {
            v = 0;
            break;
        }
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    bool digits = n > 0 && strspn(p, "0123456789") == n && n <= 5;
    if (!digits || (v == 0 && !listen) || v > 65535) {
        fdxi_set_err(errbuf, errlen, "%s: port '%s' is not a number from %d to 65535", text, p,
                     listen ? 0 : 1);
        return FDX_EINVAL;
    }
    snprintf(ret->port, sizeof(ret->port), "%lu", v);
    return 0;
}

static int parse(const char *text, bool listen, struct fdxi_ipfix_dest *ret, char *errbuf,
                 size_t errlen)
{
    if (text == NULL || text[0] == '\0') {
        fdxi_set_err(errbuf, errlen,
                     "no IPFIX destination given (a file, udp://HOST:PORT or "
                     "tcp://HOST:PORT)");
        return FDX_EINVAL;
    }
    const char *sep = strstr(text, "://");
    if (sep == NULL && listen) {
        fdxi_set_err(errbuf, errlen, "%s: listen on udp://HOST:PORT or tcp://HOST:PORT", text);
        return FDX_EINVAL;
    }
    if (sep == NULL) {
        ret->kind = FDXI_DEST_FILE;
        ret->path = text;
        return 0;
    }
    size_t scheme = (size_t)(sep - text);
    if (scheme == 3 && memcmp(text, "udp", 3) == 0) {
        ret->kind = FDXI_DEST_UDP;
    } else if (scheme == 3 && memcmp(text, "tcp", 3) == 0) {
        ret->kind = FDXI_DEST_TCP;
    } else {
        fdxi_set_err(errbuf, errlen,
                     "%s: unknown transport '%.*s' (udp://HOST:PORT, tcp://HOST:PORT or a file "
                     "path; SCTP and TLS are not supported)",
                     text, (int)(scheme < 32 ? scheme : 32), text);
        return FDX_EINVAL;
    }
    const char *h = sep + 3;
    const char *port = NULL; /* after the ':', or NULL for the default */
    size_t host_len;
    if (h[0] == '[') {
        const char *close = strchr(h, ']');
        host_len = close ? (size_t)(close - h - 1) : 0;
        if (close == NULL || host_len == 0 || host_len >= sizeof(ret->host)) {
            fdxi_set_err(errbuf, errlen, "%s: an IPv6 address goes between '[' and ']'", text);
            return FDX_EINVAL;
        }
        memcpy(ret->host, h + 1, host_len);
        uint8_t addr[16];
        if (inet_pton(AF_INET6, ret->host, addr) != 1) {
            fdxi_set_err(errbuf, errlen, "%s: '%s' is not an IPv6 address", text, ret->host);
            return FDX_EINVAL;
        }
        if (close[1] == ':') {
            port = close + 2;
        } else if (close[1] != '\0') {
            fdxi_set_err(errbuf, errlen, "%s: unexpected '%s' after the address", text, close + 1);
            return FDX_EINVAL;
        }
    } else {
        const char *colon = strchr(h, ':');
        host_len = colon ? (size_t)(colon - h) : strlen(h);
        if (colon != NULL && strchr(colon + 1, ':') != NULL) {
            fdxi_set_err(errbuf, errlen, "%s: write an IPv6 address in brackets, as [::1]:4739",
                         text);
            return FDX_EINVAL;
        }
        if (host_len == 0 || host_len >= sizeof(ret->host)) {
            fdxi_set_err(errbuf, errlen, "%s: no host (%s://HOST:PORT)", text,
                         ret->kind == FDXI_DEST_UDP ? "udp" : "tcp");
            return FDX_EINVAL;
        }
        for (size_t i = 0; i < host_len; i++) {
            if (!host_char(h[i])) {
                fdxi_set_err(errbuf, errlen, "%s: '%.*s' is not a host name or address", text,
                             (int)host_len, h);
                return FDX_EINVAL;
            }
        }
        memcpy(ret->host, h, host_len);
        if (colon != NULL)
            port = colon + 1;
    }
    if (port == NULL) {
        snprintf(ret->port, sizeof(ret->port), "%u", FDX_IPFIX_PORT_DEFAULT);
        return 0;
    }
    return parse_port(text, port, listen, ret, errbuf, errlen);
}

int fdxi_ipfix_dest_parse(const char *text, struct fdxi_ipfix_dest *ret, char *errbuf,
                          size_t errlen)
{
    struct fdxi_ipfix_dest d;
    memset(&d, 0, sizeof(d));
    int rc = parse(text, false, &d, errbuf, errlen);
    if (rc == 0)
        *ret = d;
    return rc;
}

int fdx_ipfix_check_destination(const char *destination, char *errbuf, size_t errlen)
{
    char scratch[1];
    if (errbuf == NULL || errlen == 0) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    struct fdxi_ipfix_dest d;
    return fdxi_ipfix_dest_parse(destination, &d, errbuf, errlen);
}

int fdxi_ipfix_listen_parse(const char *text, struct fdxi_ipfix_dest *ret, char *errbuf,
                            size_t errlen)
{
    struct fdxi_ipfix_dest d;
    memset(&d, 0, sizeof(d));
    int rc = parse(text, true, &d, errbuf, errlen);
    if (rc == 0)
        *ret = d;
    return rc;
}
