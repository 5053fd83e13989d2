// The packet pipeline: everything between rte_eth_rx_burst and
// rte_eth_tx_burst, callable on any array of mbufs (workers call it on what
// they received; bench/ and tests call it in-process without a PMD).
//
// Stages, in order (each in its own file under pipeline/):
//   parse         parse/        PacketMeta per frame, never trusting lengths
//   pre           stage_pre     malformed/evasive drop, essentials, telemetry bypass
//   fragments     stage_frag    later fragments follow their first fragment
//   flow lookup   (bulk)        FlowTable::lookup_bulk on normalised keys
//   established   stage_flow    cached verdict, lazy re-evaluation, TCP state
//   new flow      stage_new     side check, identity, classify (batch), insert
//   verdict       verdict.hpp   counters, audit, fragment memory
// With no policy installed (tables == nullptr) every frame is forwarded
// unchanged: the gateway is a plain bridge (fail-open).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "pipeline/worker_ctx.hpp"
#include "policy/tables.hpp"

namespace wg::dp {

// Processes `n` (<= kMaxBurst) frames that arrived on `side` at TSC `now`.
// Frames to forward are stored, in arrival order, in out[] with their tags;
// the others are freed. Returns the number stored in out[].
uint16_t process_burst(WorkerCtx& w, const PolicyTables* t, unsigned side, rte_mbuf** pkts,
                       uint16_t n, uint64_t now, rte_mbuf** out, PktTag* tags);

// Records the in-pipeline latency `ns` of the n forwarded packets of one
// burst (their tags from process_burst): one histogram update per (path,
// class slot) in the burst, not one per packet.
void record_burst_latency(WorkerCtx& w, const PktTag* tags, uint16_t n, uint64_t ns);

// Per main-loop iteration: incremental flow aging and gauges.
void pipeline_housekeeping(WorkerCtx& w, uint64_t now);

}  // namespace wg::dp
