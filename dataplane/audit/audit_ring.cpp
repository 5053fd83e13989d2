#include "audit/audit_ring.hpp"

#include <algorithm>

#include <cstdio>

#include <rte_errno.h>

namespace wg::dp {

rte_ring* audit_ring_create(unsigned wid, int socket, std::string& err) {
    char name[RTE_RING_NAMESIZE];
    std::snprintf(name, sizeof(name), "wg_audit_%u", wid);
    rte_ring* r = rte_ring_create_elem(name, sizeof(AuditRecord), kAuditRingSize, socket,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!r) err = std::string("cannot create audit ring ") + name + ": " + rte_strerror(rte_errno);
    return r;
}

void audit_drain(rte_ring* r, std::vector<AuditRecord>& out, unsigned max) {
    AuditRecord buf[64];
    while (max) {
        const unsigned want = max < 64 ? max : 64;
        const unsigned n =
            rte_ring_sc_dequeue_burst_elem(r, buf, sizeof(AuditRecord), want, nullptr);
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
        max -= n;
    }
}

mgmt::AuditEvent to_event(const AuditRecord& r, uint64_t tsc_hz, uint64_t base_tsc,
                          uint64_t base_realtime_ns) {
    mgmt::AuditEvent e;
    const uint64_t dt = r.tsc > base_tsc ? r.tsc - base_tsc : 0;
    e.ts_ns = base_realtime_ns +
              static_cast<uint64_t>(static_cast<double>(dt) * 1e9 / static_cast<double>(tsc_hz));
    e.generation = r.generation;
    e.family = r.family;
    e.proto = r.proto;
    e.vlan = r.vlan;
    std::memcpy(e.src.data(), r.src, 16);
    std::memcpy(e.dst.data(), r.dst, 16);
    e.sport = r.sport;
    e.dport = r.dport;
    e.src_class = r.src_class;
    e.dst_class = r.dst_class;
    e.src_zone = r.src_zone;
    e.dst_zone = r.dst_zone;
    e.rule = r.rule;
    e.verdict = r.verdict;
    e.reason = r.reason;
    e.suppressed = r.suppressed;
    if (r.staged) {
        e.staged = r.staged;
        e.staged_generation = r.staged_generation;
        e.staged_src_class = r.staged_src_class;
        e.staged_dst_class = r.staged_dst_class;
        e.staged_rule = r.staged_rule;
    }
    if (r.l7_proto) {
        e.l7_protocol = r.l7_proto;
        e.l7_value.assign(r.l7_value, std::min<size_t>(r.l7_value_len, sizeof r.l7_value));
    }
    return e;
}

}  // namespace wg::dp
