// Audit events from the workers to the management thread.
//
// Each worker owns a single-producer/single-consumer rte_ring of fixed-size
// records (no pointers, no allocation): the worker enqueues, the management
// thread drains on AuditDrainRequest. A full ring drops the event and counts
// it (audit_lost). Before that, a per-source limiter (AuditLimiter) allows
// at most N events per source address per second and counts the rest as
// suppressed; the next event from that source carries the suppressed count,
// so a flood costs a counter increment, never memory or ring space.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rte_ring.h>

#include "mgmt/messages.hpp"
#include "packet_meta.hpp"

namespace wg::dp {

struct AuditRecord {
    uint64_t tsc;
    uint64_t generation;
    uint8_t src[16], dst[16];
    uint32_t rule;
    uint32_t suppressed;
    uint16_t sport, dport, vlan;
    uint16_t src_class, dst_class, src_zone, dst_zone;
    uint8_t family, proto, verdict, reason;
    uint8_t l7_proto;  // L7 violation: l7::Protocol + 1; 0 = not an L7 event
    uint8_t l7_value_len;
    char l7_value[68];  // the offending value, escaped (l7::AuditValue), not NUL-terminated
    // Staged-policy difference (dataplane/staged/): stats::StagedDifference,
    // 0 = an enforced verdict. The fields above are the enforced policy's.
    uint8_t staged;
    uint16_t staged_src_class, staged_dst_class;
    uint32_t staged_rule;
    uint64_t staged_generation;
};
static_assert(sizeof(AuditRecord) % 4 == 0, "rte_ring element size must be a multiple of 4");

inline constexpr unsigned kAuditRingSize = 1024;

// Creates the ring of worker `wid` (SP/SC). Returns nullptr and sets err.
rte_ring* audit_ring_create(unsigned wid, int socket, std::string& err);

inline bool audit_enqueue(rte_ring* r, const AuditRecord& rec) {
    return rte_ring_sp_enqueue_elem(r, const_cast<AuditRecord*>(&rec), sizeof(AuditRecord)) == 0;
}

// Management side: dequeues up to `max` records.
void audit_drain(rte_ring* r, std::vector<AuditRecord>& out, unsigned max);

// Converts a record (TSC -> CLOCK_REALTIME via the given base).
mgmt::AuditEvent to_event(const AuditRecord& r, uint64_t tsc_hz, uint64_t base_tsc,
                          uint64_t base_realtime_ns);

// Per-source limiter: a fixed direct-mapped table of 1-second windows.
class AuditLimiter {
  public:
    AuditLimiter() : slots_(std::make_unique<Slot[]>(kSlots)) {}
    // Returns true if an event from `src` may be emitted now; then
    // `suppressed` is the count of events dropped for it since its last one.
    bool allow(const uint8_t* src, uint32_t per_sec, uint64_t now, uint64_t tsc_hz,
               uint32_t& suppressed) {
        uint64_t a, b;
        std::memcpy(&a, src, 8);
        std::memcpy(&b, src + 8, 8);
        const uint64_t key = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x632be59bd9b4e019ull);
        Slot& s = slots_[(key ^ (key >> 29)) & (kSlots - 1)];
        if (s.key != key) {  // new source (or a collision: the old one restarts)
            s = Slot{key, now, 0, 0};
        } else if (now - s.window >= tsc_hz) {
            s.window = now;
            s.count = 0;
        }
        if (s.count >= per_sec) {
            ++s.suppressed;
            return false;
        }
        ++s.count;
        suppressed = s.suppressed;
        s.suppressed = 0;
        return true;
    }

  private:
    static constexpr unsigned kSlots = 4096;
    struct Slot {
        uint64_t key = 0, window = 0;
        uint32_t count = 0, suppressed = 0;
    };
    std::unique_ptr<Slot[]> slots_;
};

}  // namespace wg::dp
