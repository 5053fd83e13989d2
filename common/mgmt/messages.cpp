#include "mgmt/messages.hpp"

#include "stats/latency_histogram.hpp"
#include "wire/bytes.hpp"

namespace wg::mgmt {
namespace {

using wire::Reader;
using wire::Writer;

// Stats travel as tagged sections (u16 tag, u32 length, body) so fields can be
// added without a protocol version bump: readers skip tags they do not know.
enum class Section : uint16_t {
    Header = 1,
    Ports = 2,
    Classes = 3,
    Rules = 4,
    Drops = 5,
    Gauges = 6,
    Counters = 7,
    Workers = 8,
    Histograms = 9,
    L7 = 10,  // protocol inspection outcomes per class and protocol
    // Per-worker flow figures, one record per entry of Workers, same order.
    // A section of its own so an older control plane skips it and an older
    // dataplane's Workers section decodes unchanged.
    WorkerFlows = 11,
    Staged = 12,  // staged policy: generation, hash, differences per class pair
};

void section(Writer& out, Section tag, const Writer& body) {
    out.put<uint16_t>(static_cast<uint16_t>(tag));
    out.put_blob(body.data());
}

void put_named(Writer& w, const std::vector<stats::NamedCount>& v) {
    w.put<uint32_t>(static_cast<uint32_t>(v.size()));
    for (const auto& n : v) {
        w.put_str(n.name);
        w.put<uint64_t>(n.value);
    }
}

std::vector<stats::NamedCount> get_named(Reader& r) {
    std::vector<stats::NamedCount> v(r.get_count(12, "named counters"));
    for (auto& n : v) {
        n.name = r.get_str("counter name", 4096);
        n.value = r.get<uint64_t>("counter value");
    }
    return v;
}

}  // namespace

std::vector<uint8_t> encode(const Status& s) {
    Writer w;
    w.put_str(s.version);
    w.put<uint32_t>(s.pid);
    w.put<uint64_t>(s.uptime_ns);
    w.put<uint32_t>(s.workers);
    w.put<uint32_t>(static_cast<uint32_t>(s.ports.size()));
    for (const auto& p : s.ports) {
        w.put_str(p.role);
        w.put_str(p.name);
        w.put<uint16_t>(p.port_id);
    }
    w.put<uint64_t>(s.policy_generation);
    w.put_str(s.policy_hash);
    w.put_str(s.policy_commit);
    w.put_str(s.mode);
    w.put_str(s.image_state);
    w.put_str(s.image_error);
    w.put<uint32_t>(static_cast<uint32_t>(s.warnings.size()));
    for (const auto& x : s.warnings) w.put_str(x);
    return w.take();
}

Status decode_status(std::span<const uint8_t> b) {
    Reader r(b);
    Status s;
    s.version = r.get_str("version", 256);
    s.pid = r.get<uint32_t>("pid");
    s.uptime_ns = r.get<uint64_t>("uptime");
    s.workers = r.get<uint32_t>("workers");
    s.ports.resize(r.get_count(10, "ports"));
    for (auto& p : s.ports) {
        p.role = r.get_str("port role", 64);
        p.name = r.get_str("port name", 1024);
        p.port_id = r.get<uint16_t>("port id");
    }
    s.policy_generation = r.get<uint64_t>("policy generation");
    s.policy_hash = r.get_str("policy hash", 256);
    s.policy_commit = r.get_str("policy commit", 256);
    s.mode = r.get_str("mode", 256);
    if (!r.done()) {  // absent in a status from an older dataplane
        s.image_state = r.get_str("image state", 64);
        s.image_error = r.get_str("image error", 4096);
    }
    if (!r.done()) {  // absent in a status from an older dataplane
        s.warnings.resize(r.get_count(4, "status warnings"));
        for (auto& x : s.warnings) x = r.get_str("status warning", 4096);
    }
    r.expect_done("status");
    return s;
}

std::vector<uint8_t> encode(const stats::Snapshot& s) {
    Writer out;
    {
        Writer w;
        w.put<uint64_t>(s.tsc_hz);
        w.put<uint64_t>(s.uptime_ns);
        section(out, Section::Header, w);
    }
    {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.ports.size()));
        for (const auto& p : s.ports) {
            w.put_str(p.role);
            w.put_str(p.name);
            for (uint64_t v : {p.rx_packets, p.rx_bytes, p.tx_packets, p.tx_bytes, p.tx_dropped,
                               p.rx_missed, p.rx_errors})
                w.put<uint64_t>(v);
        }
        section(out, Section::Ports, w);
    }
    {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.classes.size()));
        for (const auto& c : s.classes) {
            w.put_str(c.cls);
            for (auto v : c.packets) w.put<uint64_t>(v);
            for (auto v : c.bytes) w.put<uint64_t>(v);
        }
        section(out, Section::Classes, w);
    }
    {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.rules.size()));
        for (const auto& c : s.rules) {
            w.put_str(c.rule);
            w.put<uint64_t>(c.packets);
            w.put<uint64_t>(c.bytes);
        }
        section(out, Section::Rules, w);
    }
    for (auto [tag, vec] : {std::pair{Section::Drops, &s.drops}, std::pair{Section::Gauges, &s.gauges},
                            std::pair{Section::Counters, &s.counters}}) {
        Writer w;
        put_named(w, *vec);
        section(out, tag, w);
    }
    {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.workers.size()));
        for (const auto& k : s.workers) {
            w.put<uint32_t>(k.lcore);
            w.put<uint64_t>(k.heartbeat);
            w.put<uint64_t>(k.busy_cycles);
            w.put<uint64_t>(k.total_cycles);
        }
        section(out, Section::Workers, w);
    }
    bool any_flows = false;
    for (const auto& k : s.workers) any_flows |= k.has_flows;
    if (any_flows) {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.workers.size()));
        for (const auto& k : s.workers) {
            w.put<uint64_t>(k.flows_created);
            w.put<uint64_t>(k.flow_entries);
            w.put<uint64_t>(k.packets);
        }
        section(out, Section::WorkerFlows, w);
    }
    {
        // Histograms are sparse on the wire: (index, count) pairs.
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.histograms.size()));
        for (const auto& h : s.histograms) {
            w.put_str(h.path);
            w.put_str(h.cls);
            w.put<uint64_t>(h.sum_ns);
            // Producers keep buckets nonzero and sorted; skip zeros anyway so
            // the wire stays exactly "nonzero buckets in index order".
            uint32_t nz = 0;
            for (const auto& b : h.buckets) nz += b.count != 0;
            w.put<uint32_t>(nz);
            for (const auto& b : h.buckets)
                if (b.count) {
                    w.put<uint16_t>(b.index);
                    w.put<uint64_t>(b.count);
                }
        }
        section(out, Section::Histograms, w);
    }
    if (!s.l7.empty()) {
        Writer w;
        w.put<uint32_t>(static_cast<uint32_t>(s.l7.size()));
        for (const auto& c : s.l7) {
            w.put_str(c.cls);
            w.put_str(c.protocol);
            for (auto v : c.counts) w.put<uint64_t>(v);
        }
        section(out, Section::L7, w);
    }
    if (s.staged.generation != 0 || !s.staged.pairs.empty() || s.staged.evaluated != 0) {
        const auto& g = s.staged;
        Writer w;
        w.put<uint64_t>(g.generation);
        w.put_str(g.hash);
        w.put_str(g.commit);
        w.put<uint64_t>(g.evaluated);
        w.put<uint64_t>(g.overflow);
        w.put<uint32_t>(static_cast<uint32_t>(g.pairs.size()));
        for (const auto& p : g.pairs) {
            for (const auto* n : {&p.enforced_src, &p.enforced_dst, &p.staged_src, &p.staged_dst})
                w.put_str(*n);
            for (uint64_t v : {p.enforced_generation, p.staged_generation, p.would_deny,
                               p.would_allow, p.first_seen_ns})
                w.put<uint64_t>(v);
        }
        section(out, Section::Staged, w);
    }
    return out.take();
}

stats::Snapshot decode_stats(std::span<const uint8_t> b) {
    Reader outer(b);
    stats::Snapshot s;
    struct Flows {
        uint64_t created, entries, packets;
    };
    std::vector<Flows> flows;  // WorkerFlows, merged into s.workers at the end
    bool have_flows = false;
    while (!outer.done()) {
        auto tag = static_cast<Section>(outer.get<uint16_t>("section tag"));
        auto body = outer.get_blob("section", kMaxPayload);
        Reader r(body);
        switch (tag) {
            case Section::Header:
                s.tsc_hz = r.get<uint64_t>("tsc hz");
                s.uptime_ns = r.get<uint64_t>("uptime");
                break;
            case Section::Ports:
                s.ports.resize(r.get_count(64, "ports"));
                for (auto& p : s.ports) {
                    p.role = r.get_str("port role", 64);
                    p.name = r.get_str("port name", 1024);
                    for (uint64_t* v : {&p.rx_packets, &p.rx_bytes, &p.tx_packets, &p.tx_bytes,
                                        &p.tx_dropped, &p.rx_missed, &p.rx_errors})
                        *v = r.get<uint64_t>("port counter");
                }
                break;
            case Section::Classes:
                s.classes.resize(r.get_count(68, "classes"));
                for (auto& c : s.classes) {
                    c.cls = r.get_str("class name", 4096);
                    for (auto& v : c.packets) v = r.get<uint64_t>("class counter");
                    for (auto& v : c.bytes) v = r.get<uint64_t>("class counter");
                }
                break;
            case Section::Rules:
                s.rules.resize(r.get_count(20, "rules"));
                for (auto& c : s.rules) {
                    c.rule = r.get_str("rule name", 4096);
                    c.packets = r.get<uint64_t>("rule packets");
                    c.bytes = r.get<uint64_t>("rule bytes");
                }
                break;
            case Section::L7:
                s.l7.resize(r.get_count(8 + 8 * stats::kL7Outcomes, "l7 counters"));
                for (auto& c : s.l7) {
                    c.cls = r.get_str("class name", 4096);
                    c.protocol = r.get_str("l7 protocol", 64);
                    for (auto& v : c.counts) v = r.get<uint64_t>("l7 counter");
                }
                break;
            case Section::Staged: {
                auto& g = s.staged;
                g.generation = r.get<uint64_t>("staged generation");
                g.hash = r.get_str("staged hash", 256);
                g.commit = r.get_str("staged commit", 256);
                g.evaluated = r.get<uint64_t>("staged evaluated");
                g.overflow = r.get<uint64_t>("staged overflow");
                // Four length-prefixed names (4 bytes each at least) + 5 counters.
                g.pairs.resize(r.get_count(16 + 40, "staged pairs"));
                for (auto& p : g.pairs) {
                    for (auto* n : {&p.enforced_src, &p.enforced_dst, &p.staged_src, &p.staged_dst})
                        *n = r.get_str("staged class name", 4096);
                    for (uint64_t* v : {&p.enforced_generation, &p.staged_generation, &p.would_deny,
                                        &p.would_allow, &p.first_seen_ns})
                        *v = r.get<uint64_t>("staged counter");
                }
                break;
            }
            case Section::Drops: s.drops = get_named(r); break;
            case Section::Gauges: s.gauges = get_named(r); break;
            case Section::Counters: s.counters = get_named(r); break;
            case Section::Workers:
                s.workers.resize(r.get_count(28, "workers"));
                for (auto& k : s.workers) {
                    k.lcore = r.get<uint32_t>("lcore");
                    k.heartbeat = r.get<uint64_t>("heartbeat");
                    k.busy_cycles = r.get<uint64_t>("busy cycles");
                    k.total_cycles = r.get<uint64_t>("total cycles");
                }
                break;
            case Section::WorkerFlows:
                flows.resize(r.get_count(24, "worker flow records"));
                for (auto& f : flows) {
                    f.created = r.get<uint64_t>("worker flows created");
                    f.entries = r.get<uint64_t>("worker flow entries");
                    f.packets = r.get<uint64_t>("worker packets");
                }
                have_flows = true;
                break;
            case Section::Histograms:
            {
                const uint32_t nh = r.get_count(20, "histograms");
                if (nh > kMaxHistograms)
                    throw wire::DecodeError(std::to_string(nh) + " histograms (at most " +
                                            std::to_string(kMaxHistograms) + ")");
                s.histograms.resize(nh);
            }
                for (auto& h : s.histograms) {
                    h.path = r.get_str("histogram path", 256);
                    h.cls = r.get_str("histogram class", 4096);
                    h.sum_ns = r.get<uint64_t>("histogram sum");
                    // Sparse in memory as on the wire: get_count has checked
                    // that nz records of 10 bytes are present, so this
                    // allocates 16 bytes per 10 received.
                    auto nz = r.get_count(10, "histogram buckets");
                    h.buckets.resize(nz);
                    for (uint32_t i = 0; i < nz; ++i) {
                        auto& bk = h.buckets[i];
                        bk.index = r.get<uint16_t>("bucket index");
                        if (bk.index >= stats::kHistBuckets)
                            throw wire::DecodeError("histogram bucket index out of range");
                        if (i > 0 && bk.index <= h.buckets[i - 1].index)
                            throw wire::DecodeError(
                                "histogram bucket indexes not strictly increasing");
                        bk.count = r.get<uint64_t>("bucket count");
                    }
                }
                break;
            default: continue;  // newer dataplane: skip what we do not know
        }
        r.expect_done("stats section");
    }
    if (have_flows) {
        // Sections may come in any order; the two must describe the same workers.
        if (flows.size() != s.workers.size())
            throw wire::DecodeError("flow figures for " + std::to_string(flows.size()) +
                                    " workers, " + std::to_string(s.workers.size()) +
                                    " workers listed");
        for (size_t i = 0; i < flows.size(); ++i) {
            auto& k = s.workers[i];
            k.has_flows = true;
            k.flows_created = flows[i].created;
            k.flow_entries = flows[i].entries;
            k.packets = flows[i].packets;
        }
    }
    return s;
}

std::vector<uint8_t> encode(const LoadPolicyRequest& m) {
    Writer w;
    w.put_blob(m.image);
    return w.take();
}

LoadPolicyRequest decode_load_policy_request(std::span<const uint8_t> b) {
    Reader r(b);
    LoadPolicyRequest m;
    m.image = r.get_blob("policy image", kMaxPayload);
    r.expect_done("load-policy request");
    return m;
}

std::span<const uint8_t> load_policy_image_view(std::span<const uint8_t> b) {
    Reader r(b);
    const uint32_t n = r.get<uint32_t>("policy image length");
    if (n > kMaxPayload) throw wire::DecodeError("oversized policy image");
    auto image = r.get_bytes(n, "policy image");
    r.expect_done("load-policy request");
    return image;
}

std::vector<uint8_t> encode(const LoadPolicyResponse& m) {
    Writer w;
    w.put_bool(m.ok);
    w.put<uint64_t>(m.generation);
    w.put_str(m.error);
    return w.take();
}

LoadPolicyResponse decode_load_policy_response(std::span<const uint8_t> b) {
    Reader r(b);
    LoadPolicyResponse m;
    m.ok = r.get_bool("ok");
    m.generation = r.get<uint64_t>("generation");
    m.error = r.get_str("error", 1u << 16);
    r.expect_done("load-policy response");
    return m;
}

std::vector<uint8_t> encode(const ErrorResponse& m) {
    Writer w;
    w.put<uint16_t>(m.code);
    w.put_str(m.message);
    return w.take();
}

ErrorResponse decode_error(std::span<const uint8_t> b) {
    Reader r(b);
    ErrorResponse m;
    m.code = r.get<uint16_t>("error code");
    m.message = r.get_str("error message", 1u << 16);
    r.expect_done("error response");
    return m;
}

std::vector<uint8_t> encode(const AuditBatch& m) {
    Writer w;
    w.put<uint64_t>(m.lost);
    w.put<uint32_t>(static_cast<uint32_t>(m.events.size()));
    for (const auto& e : m.events) {
        w.put<uint64_t>(e.ts_ns);
        w.put<uint64_t>(e.generation);
        w.put<uint8_t>(e.family);
        w.put<uint8_t>(e.proto);
        w.put<uint16_t>(e.vlan);
        w.put_bytes(e.src);
        w.put_bytes(e.dst);
        w.put<uint16_t>(e.sport);
        w.put<uint16_t>(e.dport);
        w.put<uint16_t>(e.src_class);
        w.put<uint16_t>(e.dst_class);
        w.put<uint16_t>(e.src_zone);
        w.put<uint16_t>(e.dst_zone);
        w.put<uint32_t>(e.rule);
        w.put<uint8_t>(e.verdict);
        w.put<uint8_t>(e.reason);
        w.put<uint32_t>(e.suppressed);
    }
    // Trailer (added with L7 inspection; absent in older batches): the L7
    // fields of the events that have them, by index.
    uint32_t n7 = 0, ns = 0;
    for (const auto& e : m.events) n7 += e.l7_protocol != 0;
    for (const auto& e : m.events) ns += e.staged != 0;
    if (n7 || ns) {
        w.put<uint32_t>(n7);
        for (uint32_t i = 0; i < m.events.size(); ++i) {
            const auto& e = m.events[i];
            if (!e.l7_protocol) continue;
            w.put<uint32_t>(i);
            w.put<uint8_t>(e.l7_protocol);
            w.put_str(e.l7_value);
        }
    }
    // Second trailer (added with staged policies; absent when no event is a
    // staged difference, so batches stay byte-identical for older readers):
    // the staged fields of the events that have them, by index.
    if (ns) {
        w.put<uint32_t>(ns);
        for (uint32_t i = 0; i < m.events.size(); ++i) {
            const auto& e = m.events[i];
            if (!e.staged) continue;
            w.put<uint32_t>(i);
            w.put<uint8_t>(e.staged);
            w.put<uint64_t>(e.staged_generation);
            w.put<uint16_t>(e.staged_src_class);
            w.put<uint16_t>(e.staged_dst_class);
            w.put<uint32_t>(e.staged_rule);
        }
    }
    return w.take();
}

AuditBatch decode_audit_batch(std::span<const uint8_t> b) {
    Reader r(b);
    AuditBatch m;
    m.lost = r.get<uint64_t>("lost");
    m.events.resize(r.get_count(74, "audit events"));
    for (auto& e : m.events) {
        e.ts_ns = r.get<uint64_t>("ts");
        e.generation = r.get<uint64_t>("generation");
        e.family = r.get<uint8_t>("family");
        if (e.family != 4 && e.family != 6) throw wire::DecodeError("bad address family");
        e.proto = r.get<uint8_t>("proto");
        e.vlan = r.get<uint16_t>("vlan");
        auto s = r.get_bytes(16, "src");
        std::copy(s.begin(), s.end(), e.src.begin());
        auto d = r.get_bytes(16, "dst");
        std::copy(d.begin(), d.end(), e.dst.begin());
        e.sport = r.get<uint16_t>("sport");
        e.dport = r.get<uint16_t>("dport");
        e.src_class = r.get<uint16_t>("src class");
        e.dst_class = r.get<uint16_t>("dst class");
        e.src_zone = r.get<uint16_t>("src zone");
        e.dst_zone = r.get<uint16_t>("dst zone");
        e.rule = r.get<uint32_t>("rule");
        e.verdict = r.get<uint8_t>("verdict");
        e.reason = r.get<uint8_t>("reason");
        e.suppressed = r.get<uint32_t>("suppressed");
    }
    if (!r.done()) {
        const uint32_t n7 = r.get_count(9, "audit L7 fields");
        for (uint32_t k = 0; k < n7; ++k) {
            const uint32_t i = r.get<uint32_t>("audit L7 event index");
            if (i >= m.events.size()) throw wire::DecodeError("audit L7 event index out of range");
            m.events[i].l7_protocol = r.get<uint8_t>("audit L7 protocol");
            m.events[i].l7_value = r.get_str("audit L7 value", 256);
        }
    }
    if (!r.done()) {
        const uint32_t ns = r.get_count(21, "audit staged fields");
        uint32_t prev = 0;
        for (uint32_t k = 0; k < ns; ++k) {
            const uint32_t i = r.get<uint32_t>("audit staged event index");
            if (i >= m.events.size())
                throw wire::DecodeError("audit staged event index out of range");
            // Strictly increasing, as encoded: each event once (round trip exact).
            if (k > 0 && i <= prev)
                throw wire::DecodeError("audit staged event indexes not strictly increasing");
            prev = i;
            auto& e = m.events[i];
            e.staged = r.get<uint8_t>("audit staged difference");
            if (e.staged != static_cast<uint8_t>(stats::StagedDifference::WouldDeny) &&
                e.staged != static_cast<uint8_t>(stats::StagedDifference::WouldAllow))
                throw wire::DecodeError("bad audit staged difference");
            e.staged_generation = r.get<uint64_t>("audit staged generation");
            e.staged_src_class = r.get<uint16_t>("audit staged src class");
            e.staged_dst_class = r.get<uint16_t>("audit staged dst class");
            e.staged_rule = r.get<uint32_t>("audit staged rule");
        }
    }
    r.expect_done("audit batch");
    return m;
}

std::vector<uint8_t> encode(const TestHook& m) {
    Writer w;
    w.put_str(m.name);
    w.put<uint64_t>(m.arg);
    return w.take();
}

TestHook decode_test_hook(std::span<const uint8_t> b) {
    Reader r(b);
    TestHook m;
    m.name = r.get_str("hook name", 256);
    m.arg = r.get<uint64_t>("hook arg");
    r.expect_done("test hook");
    return m;
}

namespace {
constexpr uint8_t kStagedLoad = 1, kStagedClear = 2;
}

std::vector<uint8_t> encode(const StagedPolicyRequest& m) {
    Writer w;
    w.put<uint8_t>(m.clear ? kStagedClear : kStagedLoad);
    w.put_blob(m.clear ? std::span<const uint8_t>{} : std::span<const uint8_t>(m.image));
    return w.take();
}

std::span<const uint8_t> staged_policy_image_view(std::span<const uint8_t> b, bool& clear) {
    Reader r(b);
    const uint8_t op = r.get<uint8_t>("staged operation");
    if (op != kStagedLoad && op != kStagedClear) throw wire::DecodeError("bad staged operation");
    clear = op == kStagedClear;
    const uint32_t n = r.get<uint32_t>("staged image length");
    if (n > kMaxPayload) throw wire::DecodeError("oversized staged image");
    if (clear && n != 0) throw wire::DecodeError("a staged clear carries no image");
    auto image = r.get_bytes(n, "staged image");
    r.expect_done("staged-policy request");
    return image;
}

StagedPolicyRequest decode_staged_policy_request(std::span<const uint8_t> b) {
    StagedPolicyRequest m;
    auto image = staged_policy_image_view(b, m.clear);
    m.image.assign(image.begin(), image.end());
    return m;
}

}  // namespace wg::mgmt
