#include "fake_tables.hpp"

namespace wg::test {
using namespace wg::dp;

FakeTables::FakeTables(uint64_t gen, bool deny_all) : gen_(gen), deny_all_(deny_all) {
    p_.content_hash = deny_all ? "fake-deny" : "fake";
    const char* names[] = {"unknown", "pump", "server", "mon", "open"};
    for (uint16_t i = 0; i < 5; ++i) {
        policy::ClassDef c;
        c.id = i;
        c.name = names[i];
        c.on_failure = i == 1 ? policy::FailMode::Closed : policy::FailMode::Open;
        c.mode = i == 3 ? policy::Mode::Monitor : policy::Mode::Enforce;
        p_.classes.push_back(c);
    }
    policy::Rule r0, r1;
    r0.id = 0;
    r0.name = "pump/https";
    r1.id = 1;
    r1.name = "pump/ping";
    p_.rules = {r0, r1};
    // L7-constrained allow rules (one per owner class, so the owner's mode
    // and on_failure apply): TCP 104 DICOM, calling AE "US_CART*".
    const uint16_t dicom_owner[] = {1, 4, 3};
    const char* dicom_name[] = {"pump/dicom", "open/dicom", "mon/dicom"};
    for (int k = 0; k < 3; ++k) {
        policy::Rule r;
        r.id = uint32_t(p_.rules.size());
        r.name = dicom_name[k];
        r.owner_class = dicom_owner[k];
        r.proto = policy::Proto::Tcp;
        r.constraints.dicom_calling_ae = {"US_CART*"};
        // open (enforce) and mon (monitor) reset on a violation; pump drops.
        r.constraints.on_violation =
            k ? policy::ViolationAction::Reset : policy::ViolationAction::Drop;
        p_.rules.push_back(r);
    }
    policy::Rule ntp;  // rule 5: pump -> server UDP 123, NTP mode 3 only
    ntp.id = 5;
    ntp.name = "pump/ntp";
    ntp.owner_class = 1;
    ntp.proto = policy::Proto::Udp;
    ntp.constraints.ntp_modes = {3};
    p_.rules.push_back(ntp);
    l7_.build(p_);
    policy::BypassEntry b;
    b.id = 0;
    b.name = "telemetry";
    b.src_class = 3;
    p_.bypass = {b};
    p_.settings.flow_timeout_udp_s = 120;
    p_.settings.audit_per_source_per_sec = 10;
}

bool FakeTables::essentials(const PacketMeta& m, bool& forward, Reason& reason) const {
    if (m.vlan == 999) {
        forward = false;
        reason = Reason::OtherVlan;
        return true;
    }
    switch (m.kind) {
        case L2Kind::Arp:
        case L2Kind::Stp:
            forward = true;
            return true;
        case L2Kind::Ip:
            return false;
        default:
            forward = false;
            reason = Reason::EssentialDrop;
            return true;
    }
}

int FakeTables::bypass(const PacketMeta& m) const {
    return m.family == 4 && m.proto == 17 && m.dst[0] == 239 && m.dst[1] == 1 && m.dst[2] == 1 &&
                   m.dst[3] == 1 && m.dport == 5000
               ? 0
               : -1;
}

namespace {
bool clinical(const uint8_t* a) {
    return a[0] == 198 && a[1] == 18;
}
bool core(const uint8_t* a) {
    return a[0] == 198 && a[1] == 19;
}
Ident who(const uint8_t* a) {
    Ident id;
    if (clinical(a))
        id.class_id = a[3] < 100 ? 1 : a[3] < 200 ? 3 : 4;
    else if (core(a))
        id.class_id = 2;
    return id;
}
}  // namespace

bool FakeTables::side_spoofed(const PacketMeta& m, unsigned side) const {
    return side == 0 ? core(m.src) : clinical(m.src);
}
Ident FakeTables::identify_src(const PacketMeta& m, unsigned) const {
    return who(m.src);
}
Ident FakeTables::identify_dst(const PacketMeta& m, unsigned) const {
    return who(m.dst);
}

void FakeTables::classify(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                          FlowDecision* out, unsigned n) const {
    ++classify_calls;
    for (unsigned i = 0; i < n; ++i) {
        const PacketMeta& m = *metas[i];
        FlowDecision d;
        d.deciding_class = src[i].class_id;
        const bool to_server = dst[i].class_id == 2;
        const bool pumpish = src[i].class_id == 1 || src[i].class_id == 4;
        if (!deny_all_ && to_server && m.proto == 6 && m.dport == 104 &&
            (src[i].class_id == 1 || src[i].class_id == 4 || src[i].class_id == 3)) {
            d.action = Action::Forward;
            d.tier = policy::Tier::ClassAllow;
            d.rule = src[i].class_id == 1 ? 2 : src[i].class_id == 4 ? 3 : 4;
        } else if (!deny_all_ && src[i].class_id == 1 && to_server && m.proto == 17 &&
                   m.dport == 123) {
            d.action = Action::Forward;
            d.tier = policy::Tier::ClassAllow;
            d.rule = 5;
        } else if (!deny_all_ && pumpish && to_server && m.proto == 6 && m.dport == 443) {
            d.action = Action::Forward;
            d.tier = policy::Tier::ClassAllow;
            d.rule = 0;
        } else if (!deny_all_ && src[i].class_id == 1 && to_server && m.proto == 1) {
            d.action = Action::Forward;
            d.tier = policy::Tier::ClassAllow;
            d.rule = 1;
        } else if (src[i].class_id == 3) {
            d.action = Action::ForwardRecord;
            d.reason = Reason::DefaultDeny;
        } else {
            d.action = Action::Drop;
            d.reason = Reason::DefaultDeny;
        }
        out[i] = d;
    }
}

}  // namespace wg::test
