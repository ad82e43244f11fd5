/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface between the engine and the plugin instances it runs. */
#ifndef FDX_LIB_PLUGIN_RUN_H
#define FDX_LIB_PLUGIN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "flowdx/flowdx_plugin.h"
#include "packet/packet.h"

/* Most plugins one engine runs. */
#define FDXI_MAX_PLUGINS 16

struct fdxi_plugin_run;

/*
 * Set up @p n instances for one engine (their thread_init): their flow state starts at
 * @p state_off in the flow area, their values at @p first_value in the record. Returns the flow
 * state bytes and the values they add.
 */
int fdxi_plugin_run_new(fdx_plugin_inst *const *insts, uint32_t n, size_t state_off,
                        uint32_t first_value, struct fdxi_plugin_run **ret, size_t *ret_state_bytes,
                        uint32_t *ret_n_values, char *errbuf, size_t errlen);
void fdxi_plugin_run_free(struct fdxi_plugin_run *r);
uint32_t fdxi_plugin_run_count(const struct fdxi_plugin_run *r);
const struct fdx_plugin *fdxi_plugin_run_descriptor(const struct fdxi_plugin_run *r, uint32_t i);

void fdxi_plugin_run_begin(struct fdxi_plugin_run *r, const struct fdxi_flow *f, uint8_t *area);
void fdxi_plugin_run_packet(struct fdxi_plugin_run *r, const struct fdxi_flow *f, uint8_t *area,
                            const struct fdxi_packet *pkt, int dir);
/* Fill the plugins' values into @p values (the whole record's array) and return their verdicts
 * (valid until the next call). */
const struct fdx_flow_verdict *fdxi_plugin_run_end(struct fdxi_plugin_run *r,
                                                   const struct fdxi_flow *f, uint8_t *area,
                                                   double *values, uint32_t app_flags);
void fdxi_plugin_run_release(struct fdxi_plugin_run *r, uint8_t *area);

struct fdxi_record;
/*
 * A flow record from another probe (@p f its identity, @p rec its fields): the plugins that
 * declare FDX_IN_RECORDS get flow_begin, flow_end and flow_release in @p area (zeroed here); the
 * others' fields are NaN and their verdict is none. Returns the verdicts, as fdxi_plugin_run_end.
 * Unlike the calls above, @p area is the plugins' part of a flow state area only: the
 * *ret_state_bytes of fdxi_plugin_run_new(), 16-byte aligned.
 */
const struct fdx_flow_verdict *fdxi_plugin_run_record(struct fdxi_plugin_run *r,
                                                      const struct fdxi_flow *f,
                                                      const struct fdxi_record *rec, uint8_t *area,
                                                      double *values);

#endif /* FDX_LIB_PLUGIN_RUN_H */
