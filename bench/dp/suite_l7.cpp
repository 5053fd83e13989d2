// The l7 suite: what protocol inspection costs on the fast path, in-process
// (process_burst on one packet at a time, rdtsc around it; the median over
// many flows and reps). Policy: tests/pcap/policies/l7 (the pcap scenarios'
// policy: DICOM/HL7/SMB constraints on TCP 104/2575/445, NTP mode on UDP 123,
// plus an unconstrained TCP 443 rule for the baseline).
// Rows: a new unconstrained flow (SYN) vs a new constrained flow (SYN); the
// first payload packet per protocol vs an unconstrained first data packet on
// an established flow; an established data packet after the verdict (back on
// the fast path). Never asserts a timing.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "frame_bytes.hpp"
#include "harness.hpp"
#include "pipeline.hpp"
#include "policy/compiler.hpp"
#include "policy/holder.hpp"
#include "policy/image.hpp"
#include "stats/counter_map.hpp"
#include "suites.hpp"

namespace wg::bench {
namespace {

Buf frame(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp, uint8_t flags,
          uint32_t seq, uint32_t ack, const Buf& payload) {
    return ipv4_frame(src, dst, proto, sp, dp, flags, seq, ack, payload);
}

Buf dicom_rq() {
    Buf body = {0x00, 0x01, 0x00, 0x00};
    const std::string called = "PACS            ", calling = "US_CART_ICU1    ";
    body.insert(body.end(), called.begin(), called.end());
    body.insert(body.end(), calling.begin(), calling.end());
    body.resize(body.size() + 32, 0);
    const std::string app = "1.2.840.10008.3.1.1.1";
    body.push_back(0x10);
    body.push_back(0);
    put16(body, uint16_t(app.size()));
    body.insert(body.end(), app.begin(), app.end());
    body.resize(body.size() + 120, 0x20);  // the presentation context and user info, roughly
    Buf b = {0x01, 0x00};
    put32(b, uint32_t(body.size()));
    b.insert(b.end(), body.begin(), body.end());
    return b;
}
Buf hl7_oru() {
    const std::string m =
        "\x0bMSH|^~\\&|MONGW|ICU3|LIS|LAB|20261203120000||ORU^R01|MSG0001|P|2.5\rPID|1\r\x1c\r";
    return Buf(m.begin(), m.end());
}
Buf smb2_negotiate() {
    Buf msg = {0xfe, 'S', 'M', 'B', 64, 0};
    msg.resize(64, 0);
    msg.push_back(36);
    msg.push_back(0);
    msg.push_back(2);
    msg.push_back(0);
    msg.resize(msg.size() + 32, 0);
    for (uint8_t x : {0x02, 0x02, 0x10, 0x02}) msg.push_back(x);
    Buf b = {0};
    b.push_back(0);
    put16(b, uint16_t(msg.size()));
    b.insert(b.end(), msg.begin(), msg.end());
    return b;
}
Buf ntp_client() {
    Buf b(48, 0);
    b[0] = 0x23;
    return b;
}

constexpr uint32_t kCart = 0xc6120000u | 30, kPacs = 0xc6131401u, kHl7 = 0xc6131402u,
                   kFs = 0xc6131403u, kNtp = 0xc6131404u, kPump = 0xc6120000u | 10;

struct Env {
    dp::PolicyHolder holder{1};
    dp::SlotRegistry slots;
    dp::CounterMapPublisher maps;
    std::unique_ptr<dp::WorkerCtx> w;
    rte_mempool* pool;
    explicit Env(rte_mempool* p) : pool(p) {
        auto r = policy::compile_directory(std::string(WG_SOURCE_ROOT) + "/tests/pcap/policies/l7");
        if (!r.ok()) throw std::runtime_error("l7 bench policy does not compile");
        const auto img = policy::encode_image(*r.policy);
        holder.set_socket(static_cast<int>(rte_socket_id()));
        maps.publish(std::make_unique<dp::CounterMap>(slots.map_for(*r.policy)));
        if (!holder.load_image(img).ok) throw std::runtime_error("l7 bench policy rejected");
        holder.register_worker(0);
        w = std::make_unique<dp::WorkerCtx>(0, 1u << 16, rte_get_tsc_hz());
        w->maps = &maps;
    }
    ~Env() { holder.offline(0); }
    bool last_forwarded = false;  // the last frame one() processed came out
    // Cycles to process one frame on `side`.
    uint64_t one(const Buf& f, unsigned side) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (!m) throw std::runtime_error("mbuf pool empty");
        std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
        rte_mbuf* tx[1];
        dp::PktTag tags[1];
        const uint64_t t0 = rte_rdtsc_precise();
        const uint16_t n = dp::process_burst(*w, holder.current(), side, &m, 1, t0, tx, tags);
        const uint64_t t1 = rte_rdtsc_precise();
        if (n) rte_pktmbuf_free(tx[0]);
        last_forwarded = n != 0;
        return t1 - t0;
    }
};

double med(std::vector<uint64_t>& v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : double(v[v.size() / 2]);
}

}  // namespace

nlohmann::json suite_l7(const SuiteContext& c) {
    const unsigned flows = c.quick ? 200 : 2000;
    struct Proto {
        const char* name;
        uint32_t dst;
        uint16_t port;
        uint8_t ip;
        Buf payload;
    };
    const std::vector<Proto> protos = {{"none_tcp443", kPacs, 443, 6, hl7_oru()},
                                       {"dicom", kPacs, 104, 6, dicom_rq()},
                                       {"hl7", kHl7, 2575, 6, hl7_oru()},
                                       {"smb2", kFs, 445, 6, smb2_negotiate()},
                                       {"ntp", kNtp, 123, 17, ntp_client()}};
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& p : protos) {
        std::vector<uint64_t> syn, first, est;
        // First payloads that came out: all of them for these allowed payloads;
        // fewer means the frames died before inspection (a broken measurement).
        uint64_t fwd_first = 0;
        for (unsigned rep = 0; rep < c.reps; ++rep) {
            Env env(c.pool);
            const uint32_t client = p.ip == 17 ? kPump : kCart;
            for (unsigned i = 0; i < flows; ++i) {
                const uint16_t sp = uint16_t(10000 + i);
                if (p.ip == 17) {
                    // The first datagram creates the flow and is judged with it.
                    first.push_back(
                        env.one(frame(client, p.dst, 17, sp, p.port, 0, 0, 0, p.payload), 0));
                    fwd_first += env.last_forwarded;
                    est.push_back(
                        env.one(frame(client, p.dst, 17, sp, p.port, 0, 0, 0, p.payload), 0));
                    continue;
                }
                syn.push_back(env.one(frame(client, p.dst, 6, sp, p.port, 0x02, 1000, 0, {}), 0));
                env.one(frame(p.dst, client, 6, p.port, sp, 0x12, 5000, 1001, {}), 1);
                env.one(frame(client, p.dst, 6, sp, p.port, 0x10, 1001, 5001, {}), 0);
                first.push_back(
                    env.one(frame(client, p.dst, 6, sp, p.port, 0x18, 1001, 5001, p.payload), 0));
                fwd_first += env.last_forwarded;
                const uint32_t end = 1001 + uint32_t(p.payload.size());
                env.one(frame(p.dst, client, 6, p.port, sp, 0x10, 5001, end, {}), 1);
                est.push_back(
                    env.one(frame(client, p.dst, 6, sp, p.port, 0x18, end, 5001, p.payload), 0));
            }
        }
        nlohmann::json r = {{"protocol", p.name},
                            {"flows", flows},
                            {"reps", c.reps},
                            {"first_payload_cycles_median", med(first)},
                            {"established_after_verdict_cycles_median", med(est)},
                            {"first_payload_forwarded",
                             first.empty() ? 0.0 : double(fwd_first) / double(first.size())}};
        if (!syn.empty()) r["new_flow_syn_cycles_median"] = med(syn);
        rows.push_back(r);
    }
    return {{"status", "ok"},
            {"unit", "TSC cycles per packet, process_burst of 1 packet, median"},
            {"policy", "tests/pcap/policies/l7"},
            {"rows", rows}};
}

}  // namespace wg::bench
