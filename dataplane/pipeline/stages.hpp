// Pipeline stages (see pipeline.hpp for the order). Each works on burst
// slots of a WorkerCtx and ends every packet it settles with decide().
#pragma once

#include "pipeline/worker_ctx.hpp"

namespace wg::dp {

// Malformed and evasive frames, essentials (L2 control, VLAN scope, DHCP,
// ND, IGMP/MLD) and the telemetry bypass. Returns true if it settled slot i.
bool stage_pre(WorkerCtx& w, const PolicyTables* t, unsigned i, uint64_t now);

// A later fragment: follows the verdict of its first fragment.
void stage_frag_follow(WorkerCtx& w, const PolicyTables* t, unsigned i, uint64_t now);

// A packet whose flow exists. Returns false if the entry was retired (a new
// SYN on a closed connection) and the packet must take the new-flow path.
bool stage_established(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned i, FlowEntry* e,
                       uint64_t now);

// The nm packets listed in w.midx whose flow does not exist.
void stage_new_flows(WorkerCtx& w, const PolicyTables* t, unsigned side, unsigned nm, uint64_t now);

// L7 first-payload inspection (stage_l7.cpp).
// A new flow just stored with `dec`: if its rule has a constraint, start
// inspection (TCP: await the first payload; UDP: judge this datagram).
// Returns true if it settled slot i.
bool l7_start(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, uint64_t now);
// A packet of a flow with e.l7 != None. Returns true if it settled slot i
// (dropped or recorded); false: the flow's cached verdict applies.
bool stage_l7(WorkerCtx& w, const PolicyTables* t, unsigned i, FlowEntry& e, bool from_init,
              uint64_t now);
// After a reload re-evaluated the entry: re-resolve its constraint id in the
// new generation's table (a rule that lost its constraint ends inspection).
void l7_rebind(WorkerCtx& w, const PolicyTables* t, FlowEntry& e);
// Returns the entry's pool slot, if any.
void l7_release(WorkerCtx& w, FlowEntry& e);
// Housekeeping: verdict timeouts of held slots.
void l7_sweep(WorkerCtx& w, uint64_t now);

// Stores a classification result in a flow entry (hot line and cold half)
// with its counter slots.
void flow_store_decision(WorkerCtx& w, FlowEntry& e, const Ident& s, const Ident& d,
                         const FlowDecision& dec, uint64_t generation);
// Resolves the entry's cached counter slots from its cold half and w.map.
void flow_cache_slots(WorkerCtx& w, FlowEntry& e);

// Whether a class lets traffic through when its flow cannot be tracked.
inline bool fails_open(const PolicyTables* t, uint16_t class_id) {
    const auto& cl = t->policy().classes;
    return class_id < cl.size() && cl[class_id].on_failure == policy::FailMode::Open;
}

}  // namespace wg::dp
