/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as an IPFIX destination (--ipfix), checked against its grammar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/ipfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    if (size >= sizeof(text))
        size = sizeof(text) - 1;
    memcpy(text, data, size);
    text[size] = '\0';
    struct fdxi_ipfix_dest d;
    char err[256] = "";
    if (fdxi_ipfix_dest_parse(text, &d, err, sizeof(err)) != 0) {
        /* Oracle: a refusal always says why. */
        if (err[0] == '\0')
            abort();
        return 0;
    }
    if (d.kind == FDXI_DEST_FILE) {
        /* A path is taken as it is, and never looks like a URL. */
        if (d.path != text || text[0] == '\0' || strstr(text, "://") != NULL)
            abort();
        return 0;
    }
    /* A network destination: a host of name characters or an IPv6 address, a port 1-65535. */
    long port = strtol(d.port, NULL, 10);
    if ((d.kind != FDXI_DEST_UDP && d.kind != FDXI_DEST_TCP) || d.host[0] == '\0' ||
        strpbrk(d.host, "[]/ ") != NULL || port < 1 || port > 65535)
        abort();
    return 0;
}
