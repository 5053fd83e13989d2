// A small hand-written PolicyTables for the pipeline tests: fixed, obvious
// semantics so the tests exercise the pipeline (flow state, verdicts,
// counters, audit, reload) independently of the real lookup structures,
// which have their own tests in policy/.
//
//   clinical space 198.18.0.0/16, core space 198.19.0.0/16
//   198.18.0.1-99   -> class "pump" (1), enforce, on_failure closed
//   198.18.0.100-199-> class "mon" (3), monitor
//   198.18.0.200-254-> class "open" (4), enforce, on_failure open
//   198.19.*        -> class "server" (2)
//   rule 0 "pump/https": pump|open -> server TCP 443; rule 1 "pump/ping": pump -> server ICMP
//   rules 2-4 "pump/dicom", "open/dicom", "mon/dicom": that class -> server TCP 104 with a
//   dicom constraint (calling AE "US_CART*"); rule 5 "pump/ntp": pump -> server UDP 123,
//   NTP mode 3 only
//   bypass 0 "telemetry": UDP to 239.1.1.1:5000
//   essentials: ARP/STP forward, other non-IP drop, VLAN 999 dropped (other_vlan)
#pragma once

#include "policy/tables.hpp"

namespace wg::test {

class FakeTables : public dp::PolicyTables {
  public:
    FakeTables(uint64_t gen, bool deny_all = false);
    uint64_t generation() const override { return gen_; }
    const policy::CompiledPolicy& policy() const override { return p_; }
    bool essentials(const dp::PacketMeta& m, bool& forward, dp::Reason& reason) const override;
    int bypass(const dp::PacketMeta& m) const override;
    bool side_spoofed(const dp::PacketMeta& m, unsigned arrival_side) const override;
    dp::Ident identify_src(const dp::PacketMeta& m, unsigned arrival_side) const override;
    dp::Ident identify_dst(const dp::PacketMeta& m, unsigned arrival_side) const override;
    void classify(const dp::PacketMeta* const* metas, const dp::Ident* src, const dp::Ident* dst,
                  dp::FlowDecision* out, unsigned n) const override;

    mutable unsigned classify_calls = 0;

  private:
    uint64_t gen_;
    bool deny_all_;
    policy::CompiledPolicy p_;
};

}  // namespace wg::test
