// The safety lanes of the packet path: the parts of dataplane/safety that
// act on a worker's burst. Unlike the rest of wg_safety these use the
// pipeline's own types (WorkerCtx, decide(), stage_pre()), so this file is
// compiled into the dataplane library (dataplane/meson.build), not wg_safety.
//
//  - overload_lane:  failure mode 4. Telemetry bypass and essentials are
//                    settled first by the same stage_pre as in normal mode
//                    and put first in the TX burst; nothing else touches the
//                    flow table or the classifier: it is shed, passed
//                    uninspected, or either per the source class's on_failure.
//  - no_policy_lane: failure mode 1 with --no-policy closed: essentials and
//                    --bootstrap-bypass telemetry pass, the rest is dropped.
//  - quarantine_drop / new_flow_gate / remember_denial: scan storms. Called
//                    by the pipeline (stage order in pipeline.hpp).
#pragma once

#include <cstdint>
#include <span>

#include <rte_mbuf.h>

#include "pipeline/verdict.hpp"
#include "pipeline/worker_ctx.hpp"
#include "safety/config.hpp"
#include "safety/worker_safety.hpp"

namespace wg::safety {

uint16_t overload_lane(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned side,
                       rte_mbuf** pkts, uint16_t n, uint64_t now, rte_mbuf** out, dp::PktTag* tags,
                       OverloadAction action);

uint16_t no_policy_lane(dp::WorkerCtx& w, WorkerSafety& ws,
                        std::span<const BootstrapBypass> bootstrap, rte_mbuf** pkts, uint16_t n,
                        rte_mbuf** out, dp::PktTag* tags);

// Burst slot i (an IP packet that is not telemetry or essential): true if
// its source is quarantined; the slot is then settled (dropped, counted).
bool quarantine_drop(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned i,
                     uint64_t now);

// Burst slot i starts a new flow from a source of class `src_class`. Returns
// Reason::None to go on to classification, or why it was refused (a cached
// denial, the source's bucket empty, its quarantine): the slot is then
// settled (dropped, counted, audited).
// `src_class`/`src_zone`: the source's identity, carried by the audit event
// of a refusal.
dp::Reason new_flow_gate(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t, unsigned i,
                         uint16_t src_class, uint64_t now, uint16_t src_zone = policy::kNoZone);

// Burst slot i's new flow was denied by the policy (drop reason `r`,
// counted on `cls`/`rule`, audited as `audit_reason` for `who`): remember it
// so its retransmissions and later datagrams skip classification and are
// counted and audited the same way.
inline void remember_denial(dp::WorkerCtx& w, WorkerSafety& ws, const dp::PolicyTables* t,
                            unsigned i, dp::Reason r, uint16_t cls, uint32_t rule,
                            const dp::AuditWho& who, dp::Reason audit_reason, uint64_t now) {
    if (!ws.neg_ttl) return;
    Denial d;
    d.reason = static_cast<uint8_t>(r);
    d.audit_reason = static_cast<uint8_t>(audit_reason);
    d.cls_slot = cls;
    d.rule_slot = rule;
    d.src_class = who.src_class;
    d.dst_class = who.dst_class;
    d.src_zone = who.src_zone;
    d.dst_zone = who.dst_zone;
    d.rule = who.rule;
    ws.neg->insert(w.keys[i], w.hashes[i], t->generation(), now + ws.neg_ttl, d);
}

// The limiter parameters for sources of `cls` under policy `t`.
LimitParams limit_params(const dp::PolicyTables* t, uint16_t cls);

}  // namespace wg::safety
