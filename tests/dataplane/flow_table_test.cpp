// Flow table: insert, lookup, reply match through key normalisation, TCP
// state, aging (lazy and swept), and a full table. Time is explicit (TSC
// values passed in), so aging is tested without waiting.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "flow/flow_table.hpp"
#include "flow/frag_table.hpp"

using namespace wg::dp;

namespace {
PacketMeta pkt(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto = 6,
               uint16_t vlan = 0) {
    PacketMeta m;
    m.kind = L2Kind::Ip;
    m.family = 4;
    m.proto = proto;
    m.vlan = vlan;
    m.sport = sp;
    m.dport = dp;
    for (int i = 0; i < 4; ++i) {
        m.src[i] = uint8_t(src >> (24 - 8 * i));
        m.dst[i] = uint8_t(dst >> (24 - 8 * i));
    }
    return m;
}
constexpr uint32_t kA = 0xc6120001, kB = 0xc6130002;

struct Keyed {
    FlowKey k;
    bool fwd;
    uint64_t h;
    explicit Keyed(const PacketMeta& m) {
        fwd = make_flow_key(m, k);
        h = flow_hash(k);
    }
};
}  // namespace

TEST_CASE("A reply normalises to the request's key") {
    Keyed req(pkt(kA, kB, 40000, 443)), rep(pkt(kB, kA, 443, 40000));
    CHECK(req.k == rep.k);
    CHECK(req.h == rep.h);
    CHECK(req.fwd != rep.fwd);
    // Other port, protocol or VLAN: another flow.
    CHECK(!(Keyed(pkt(kA, kB, 40001, 443)).k == req.k));
    CHECK(!(Keyed(pkt(kA, kB, 40000, 443, 17)).k == req.k));
    CHECK(!(Keyed(pkt(kA, kB, 40000, 443, 6, 10)).k == req.k));
}

TEST_CASE("ICMP echo request and reply share a key") {
    PacketMeta q = pkt(kA, kB, 0, 0, 1), r = pkt(kB, kA, 0, 0, 1);
    q.sport = 77;
    q.dport = 8 << 8;
    r.sport = 77;
    r.dport = 0;
    CHECK(Keyed(q).k == Keyed(r).k);
}

TEST_CASE("Insert, lookup, reply match, remove") {
    FlowTable t(1024);
    Keyed req(pkt(kA, kB, 40000, 443)), rep(pkt(kB, kA, 443, 40000));
    CHECK(t.lookup(req.k, req.h, 100) == nullptr);
    FlowEntry* e = t.insert(req.k, req.h, 100);
    REQUIRE(e);
    e->expires = 1000;
    e->set_init(0, req.fwd);
    CHECK(t.size() == 1);
    FlowEntry* found = t.lookup(rep.k, rep.h, 200);
    REQUIRE(found == e);
    CHECK((rep.fwd == found->init_is_a()) == false);  // the reply is not from the initiator
    t.remove(e);
    CHECK(t.size() == 0);
    CHECK(t.lookup(req.k, req.h, 200) == nullptr);
}

TEST_CASE("Bulk lookup mixes hits and misses in order") {
    FlowTable t(1024);
    std::vector<Keyed> ks;
    for (uint16_t p = 0; p < 64; ++p) ks.emplace_back(pkt(kA, kB, uint16_t(1000 + p), 80));
    for (size_t i = 0; i < ks.size(); i += 2) {
        FlowEntry* e = t.insert(ks[i].k, ks[i].h, 0);
        REQUIRE(e);
        e->expires = 100;
        t.cold(*e).rule = uint32_t(i);
    }
    std::vector<const FlowKey*> kp;
    std::vector<uint64_t> hs;
    for (auto& k : ks) {
        kp.push_back(&k.k);
        hs.push_back(k.h);
    }
    std::vector<FlowEntry*> out(ks.size());
    t.lookup_bulk(kp.data(), hs.data(), unsigned(ks.size()), out.data(), 50);
    for (size_t i = 0; i < ks.size(); ++i) {
        if (i % 2 == 0) {
            REQUIRE(out[i]);
            CHECK(t.cold(*out[i]).rule == i);
        } else {
            CHECK(out[i] == nullptr);
        }
    }
}

TEST_CASE("Expired entries are misses and are freed (lazy and sweep)") {
    FlowTable t(256);
    Keyed a(pkt(kA, kB, 1, 2)), b(pkt(kA, kB, 3, 4));
    t.insert(a.k, a.h, 0)->expires = 100;
    t.insert(b.k, b.h, 0)->expires = 500;
    CHECK(t.lookup(a.k, a.h, 100) == nullptr);  // expires <= now: gone
    CHECK(t.size() == 1);
    CHECK(t.age(499, 8) == 0);
    CHECK(t.size() == 1);
    unsigned freed = 0;
    for (int i = 0; i < 64 && t.size(); ++i) freed += t.age(500, 8);
    CHECK(freed == 1);
    CHECK(t.size() == 0);
}

TEST_CASE("A full table refuses inserts until an entry expires") {
    FlowTable t(64);
    std::vector<Keyed> ks;
    for (uint16_t p = 0; p < 200; ++p) ks.emplace_back(pkt(kA, kB, uint16_t(2000 + p), 80));
    unsigned inserted = 0;
    size_t first_refused = ks.size();
    for (size_t i = 0; i < ks.size(); ++i) {
        FlowEntry* e = t.insert(ks[i].k, ks[i].h, 0);
        if (!e) {
            if (first_refused == ks.size()) first_refused = i;
            continue;
        }
        e->expires = 1000;
        ++inserted;
    }
    CHECK(inserted == t.capacity());
    CHECK(t.size() == t.capacity());
    CHECK(first_refused == t.capacity());
    Keyed extra(pkt(kB, kA, 9, 9));
    CHECK(t.insert(extra.k, extra.h, 10) == nullptr);
    // Once the entries are expired, the sweep (or an insert into a bucket
    // holding an expired entry) makes room.
    while (t.age(1000, 64)) {
    }
    CHECK(t.size() == 0);
    CHECK(t.insert(extra.k, extra.h, 1000) != nullptr);
}

TEST_CASE("Capacity is honoured for large tables, with every entry findable") {
    FlowTable t(4096);
    std::vector<Keyed> ks;
    for (uint32_t i = 0; i < 4096; ++i) ks.emplace_back(pkt(kA + i, kB, uint16_t(i), 80));
    unsigned ok = 0;
    for (auto& k : ks)
        if (FlowEntry* e = t.insert(k.k, k.h, 0)) {
            e->expires = 10;
            ++ok;
        }
    // Two-choice 8-way buckets at 2 slots per entry: (almost) nothing is
    // refused before the pool runs out.
    CHECK(ok >= 4096 * 99 / 100);
    unsigned found = 0;
    for (auto& k : ks) found += t.lookup(k.k, k.h, 1) != nullptr;
    CHECK(found == ok);
}

TEST_CASE("TCP state: handshake, FIN both ways, RST") {
    uint8_t fins = 0;
    TcpState s = TcpState::SynSent;
    s = tcp_next(s, fins, kTcpSyn, true);
    CHECK(s == TcpState::SynSent);
    s = tcp_next(s, fins, kTcpSyn | kTcpAck, false);
    CHECK(s == TcpState::SynAck);
    s = tcp_next(s, fins, kTcpAck, true);
    CHECK(s == TcpState::Established);
    s = tcp_next(s, fins, kTcpFin | kTcpAck, true);
    CHECK(s == TcpState::Closing);
    s = tcp_next(s, fins, kTcpFin | kTcpAck, false);
    CHECK(s == TcpState::Closed);
    fins = 0;
    CHECK(tcp_next(TcpState::Established, fins, kTcpRst, false) == TcpState::Closed);
    CHECK(tcp_is_initial_syn(kTcpSyn));
    CHECK_FALSE(tcp_is_initial_syn(kTcpSyn | kTcpAck));
}

TEST_CASE("Timeouts follow the TCP state and protocol") {
    FlowTimeouts to{30, 3600, 10, 120, 60};
    FlowEntry e;
    e.key.proto = 6;
    e.tcp = TcpState::SynSent;
    CHECK(to.for_entry(e) == 30);
    e.tcp = TcpState::Established;
    CHECK(to.for_entry(e) == 3600);
    e.tcp = TcpState::Closed;
    CHECK(to.for_entry(e) == 10);
    e.key.proto = 17;
    CHECK(to.for_entry(e) == 120);
    e.key.proto = 1;
    CHECK(to.for_entry(e) == 60);
}

TEST_CASE("Fragment memory: later fragments find their first, until the TTL") {
    FragTable ft(16);
    PacketMeta first = pkt(kA, kB, 1, 2, 17);
    first.frag = 1;
    first.frag_id = 42;
    FragVerdict v;
    v.action = 2;
    v.rule_slot = 7;
    ft.record(first, v, 100, 50);
    PacketMeta later = first;
    later.frag = 2;
    later.sport = later.dport = 0;
    const FragVerdict* f = ft.find(later, 120);
    REQUIRE(f);
    CHECK(f->action == 2);
    CHECK(f->rule_slot == 7);
    CHECK(ft.find(later, 150) == nullptr);
    later.frag_id = 43;
    CHECK(ft.find(later, 120) == nullptr);
}

TEST_CASE("Fast path v2 layout: one line per entry, <= 128 B per flow at 1 M flows") {
    STATIC_REQUIRE(sizeof(FlowEntry) == 64);
    STATIC_REQUIRE(alignof(FlowEntry) == 64);
    const double per_flow = double(FlowTable::bytes_for(1000000)) / 1e6;
    CHECK(per_flow <= 128.0);
}

TEST_CASE("The MAC-pair fingerprint is keyed per table and sees every bit of both MACs") {
    FlowTable t1(64), t2(64);
    const uint8_t a[6] = {0x02, 0, 0, 0, 0, 0x0a}, b[6] = {0x02, 0, 0, 0, 0, 0x0b};
    const uint32_t f = t1.mac_fp(a, b);
    CHECK(f == t1.mac_fp(a, b));
    CHECK(f != t1.mac_fp(b, a));  // the pair is ordered (initiator, responder)
    CHECK(f != t2.mac_fp(a, b));  // another key (2^-32 chance of a false failure)
    unsigned changed = 0;
    for (unsigned bit = 0; bit < 96; ++bit) {
        uint8_t x[6], y[6];
        std::memcpy(x, a, 6);
        std::memcpy(y, b, 6);
        (bit < 48 ? x : y)[(bit % 48) / 8] ^= uint8_t(1u << (bit % 8));
        changed += t1.mac_fp(x, y) != f;
    }
    CHECK(changed == 96);
}

TEST_CASE("Freed entries are reused (free list through the cold halves)") {
    FlowTable t(16);
    std::vector<Keyed> ks;
    for (uint16_t p = 0; p < 64; ++p) ks.emplace_back(pkt(kA, kB, uint16_t(3000 + p), 80));
    // Fill, free all, fill again: every insert must succeed both times.
    for (int round = 0; round < 3; ++round) {
        std::vector<FlowEntry*> es;
        for (unsigned i = 0; i < t.capacity(); ++i) {
            FlowEntry* e = t.insert(ks[i].k, ks[i].h, 0);
            REQUIRE(e);
            e->expires = 100;
            CHECK(t.cold(*e).rule == 0);  // a fresh cold half, whatever the list held
            es.push_back(e);
        }
        CHECK(t.insert(ks[40].k, ks[40].h, 0) == nullptr);
        for (FlowEntry* e : es) t.remove(e);
        CHECK(t.size() == 0);
    }
}
