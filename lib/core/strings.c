/* SPDX-License-Identifier: BSD-3-Clause */
/* Static names of the library's error codes, packet outcomes, end reasons and version. */
#include "flowdx/flowdx.h"

const char *fdx_strerror(int err)
{
    switch (err) {
    case FDX_OK:
        return "success";
    case FDX_EINVAL:
        return "invalid argument";
    case FDX_ENOMEM:
        return "out of memory";
    case FDX_EIO:
        return "input/output error";
    case FDX_EFORMAT:
        return "unrecognised or invalid format";
    case FDX_ENOTSUP:
        return "not supported";
    case FDX_ERANGE:
        return "value out of range";
    case FDX_ENOENT:
        return "not found";
    case FDX_ETRUNC:
        return "input truncated";
    case FDX_EPERM:
        return "operation not permitted";
    default:
        return "unknown error";
    }
}

static const char *const outcome_names[FDX_PKT_OUTCOME_COUNT] = {
    [FDX_PKT_DECODED] = "decoded",
    [FDX_PKT_TRUNCATED] = "truncated",
    [FDX_PKT_MALFORMED] = "malformed",
    [FDX_PKT_LINK_UNSUPPORTED] = "link_unsupported",
    [FDX_PKT_NON_IP] = "non_ip",
    [FDX_PKT_FRAG_UNMATCHED] = "fragment_unmatched",
    [FDX_PKT_NOT_SELECTED] = "not_selected",
};

const char *fdx_outcome_name(uint32_t outcome)
{
    return outcome < FDX_PKT_OUTCOME_COUNT ? outcome_names[outcome] : NULL;
}

static const char *const end_names[FDX_END_COUNT] = {
    [FDX_END_IDLE] = "idle", [FDX_END_ACTIVE] = "active",   [FDX_END_FIN] = "fin",
    [FDX_END_RST] = "rst",   [FDX_END_EVICTED] = "evicted", [FDX_END_EOF] = "eof",
    [FDX_END_CUT] = "cut",   [FDX_END_CLOCK] = "clock",
};

const char *fdx_end_reason_name(uint32_t reason)
{
    return reason < FDX_END_COUNT ? end_names[reason] : NULL;
}

const char *fdx_version(void)
{
    return FDX_VERSION_STRING;
}
