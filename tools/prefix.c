/* SPDX-License-Identifier: BSD-3-Clause */
/* Address prefixes (10.0.0.0/8, 2001:db8::/32) for label rules and allowlists; the DoH resolvers
 * the user names. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

bool parse_prefix(const char *text, struct prefix *p)
{
    memset(p, 0, sizeof(*p));
    if (text[0] == '\0') {
        p->any = true;
        return true;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash != NULL) {
        char *end;
        errno = 0;
        bits = strtol(slash + 1, &end, 10);
        if (errno != 0 || end == slash + 1 || *end != '\0' || bits < 0)
            return false;
        *slash = '\0';
    }
    if (inet_pton(AF_INET, buf, p->addr) == 1) {
        p->family = 4;
        p->bits = bits < 0 ? 32 : (unsigned)bits;
        return p->bits <= 32;
    }
    if (inet_pton(AF_INET6, buf, p->addr) == 1) {
        p->family = 6;
        p->bits = bits < 0 ? 128 : (unsigned)bits;
        return p->bits <= 128;
    }
    return false;
}

bool in_prefix(const struct prefix *p, int family, const uint8_t *a)
{
    if (p->any)
        return true;
    if (p->family != family)
        return false;
    unsigned full = p->bits / 8, rest = p->bits % 8;
    if (memcmp(p->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (p->addr[full] & mask) == (a[full] & mask);
}

bool doh_server_parse(const char *text, struct doh_server *s)
{
    memset(s, 0, sizeof(*s));
    if (inet_pton(AF_INET, text, s->addr) == 1)
        s->family = 4;
    else if (inet_pton(AF_INET6, text, s->addr) == 1)
        s->family = 6;
    return s->family != 0;
}

bool doh_server_same(const struct doh_server *a, const struct doh_server *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

bool doh_server_is_dst(const struct doh_server *s, const struct fdx_flow_record *r)
{
    return s->family == r->ip_version && memcmp(s->addr, r->dst_addr, 16) == 0;
}

void doh_server_count(struct doh_server *s, const struct fdx_flow_record *r)
{
    if (!doh_server_is_dst(s, r))
        return;
    s->flows++;
    s->flows_443 += r->proto == 6 && r->dst_port == 443;
}

void doh_server_warn(const char *prog, const char *what, const struct doh_server *s)
{
    if (s->flows_443 > 0)
        return;
    char addr[INET6_ADDRSTRLEN];
    inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr, addr, sizeof(addr));
    fprintf(stderr,
            "%s: warning: %s %s: no TCP flow to it on port 443 in the input (%llu flow%s to it "
            "otherwise): is it the resolver's address?\n",
            prog, what, addr, (unsigned long long)s->flows, plural(s->flows));
}
