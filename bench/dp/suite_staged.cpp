// The cost of a staged policy (issue 13 part 3): cycles of a new flow's SYN
// through process_burst with and without a staged policy, in the same run,
// interleaved flow by flow (so drift of the shared machine hits both alike).
// The enforced policy is tests/e2e/staged/policy (pump -> management TCP
// 5001); the staged one moves the permission to 5002, so half the measured
// flows also count a difference and emit a staged audit record (a real ring,
// drained untimed). Established packets are measured too: their path does
// not read the staged policy.
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/audit_ring.hpp"
#include "frame_bytes.hpp"
#include "harness.hpp"
#include "pipeline.hpp"
#include "policy/compiler.hpp"
#include "policy/holder.hpp"
#include "policy/image.hpp"
#include "staged/staged.hpp"
#include "stats/counter_map.hpp"
#include "suites.hpp"

namespace wg::bench {
namespace {

// Ethernet + IPv4 + TCP without payload, addresses in host order.
Buf tcp(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t flags, uint32_t seq,
        uint32_t ack) {
    return ipv4_frame(src, dst, 6, sp, dp, flags, seq, ack, {});
}

constexpr uint32_t kPump = 0xc6120a0bu, kMgmt = 0xc6120afeu;  // 198.18.10.11, .254

struct Env {
    dp::PolicyHolder holder{1};
    dp::staged::Staged staged{1};
    dp::SlotRegistry slots;
    dp::CounterMapPublisher maps;
    std::unique_ptr<dp::WorkerCtx> w;
    rte_ring* ring = nullptr;
    rte_mempool* pool;
    std::vector<dp::AuditRecord> drained;

    explicit Env(rte_mempool* p) : pool(p) {
        auto r =
            policy::compile_directory(std::string(WG_SOURCE_ROOT) + "/tests/e2e/staged/policy");
        if (!r.ok()) throw std::runtime_error("staged bench policy does not compile");
        policy::CompiledPolicy a = *r.policy;
        policy::CompiledPolicy b = a;
        for (auto& rule : b.rules)
            for (auto& pr : rule.dports)
                if (pr.lo == 5001) pr.lo = pr.hi = 5002;
        const auto img_a = policy::encode_image(a);
        const auto img_b = policy::encode_image(b);
        holder.set_socket(static_cast<int>(rte_socket_id()));
        maps.publish(std::make_unique<dp::CounterMap>(slots.map_for(a)));
        if (!holder.load_image(img_a).ok) throw std::runtime_error("enforced policy rejected");
        if (!staged.load(img_b).ok) throw std::runtime_error("staged policy rejected");
        holder.register_worker(0);
        staged.holder().register_worker(0);
        w = std::make_unique<dp::WorkerCtx>(0, 1u << 16, rte_get_tsc_hz());
        w->maps = &maps;
        std::string err;
        ring = dp::audit_ring_create(7000 + unsigned(rte_lcore_id() & 0xff), -1, err);
        if (!ring) throw std::runtime_error(err);
        w->audit = ring;
        w->staged = &staged.worker(0);
        staged.worker(0).audit = ring;
        staged.worker(0).tsc_hz = rte_get_tsc_hz();
    }
    ~Env() {
        holder.offline(0);
        staged.holder().offline(0);
        rte_ring_free(ring);
    }
    uint64_t one(const Buf& f, unsigned side, bool with_staged) {
        w->staged_tables = with_staged ? staged.current() : nullptr;
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (!m) throw std::runtime_error("mbuf pool empty");
        std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
        rte_mbuf* tx[1];
        dp::PktTag tags[1];
        const uint64_t t0 = rte_rdtsc_precise();
        const uint16_t n = dp::process_burst(*w, holder.current(), side, &m, 1, t0, tx, tags);
        const uint64_t t1 = rte_rdtsc_precise();
        if (n) rte_pktmbuf_free(tx[0]);
        drained.clear();
        dp::audit_drain(ring, drained, 64);  // untimed, as the management thread would
        return t1 - t0;
    }
};

double med(std::vector<uint64_t>& v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : double(v[v.size() / 2]);
}

}  // namespace

nlohmann::json suite_staged(const SuiteContext& c) {
    const unsigned flows = c.quick ? 200 : 4000;
    // [port 5001 (allowed; staged: would deny), port 5002 (denied; staged: would allow),
    //  port 5003 (denied by both)] x [without, with staged].
    std::vector<uint64_t> syn[3][2], est[2];
    const uint16_t ports[3] = {5001, 5002, 5003};
    uint64_t differences = 0;
    for (unsigned rep = 0; rep < c.reps; ++rep) {
        Env env(c.pool);
        for (unsigned i = 0; i < flows; ++i) {
            for (unsigned k = 0; k < 3; ++k)
                for (unsigned s = 0; s < 2; ++s) {
                    // Each measured SYN is a flow of its own (distinct source port).
                    const uint16_t sp = uint16_t(1024 + (i * 6 + k * 2 + s) % 60000);
                    const bool with = (s ^ (i & 1)) != 0;  // alternate which goes first
                    syn[k][with].push_back(
                        env.one(tcp(kPump, kMgmt, sp, ports[k], 0x02, 1, 0), 0, with));
                    if (k == 0) {  // the allowed flow: handshake, then one established packet
                        env.one(tcp(kMgmt, kPump, ports[k], sp, 0x12, 9, 2), 1, with);
                        est[with].push_back(
                            env.one(tcp(kPump, kMgmt, sp, ports[k], 0x10, 2, 10), 0, with));
                    }
                }
        }
        stats::StagedStats st;
        env.staged.collect(st, rte_get_tsc_hz(), 0, 0);
        for (const auto& p : st.pairs) differences += p.would_deny + p.would_allow;
    }
    nlohmann::json rows = nlohmann::json::array();
    const char* names[3] = {"allowed_staged_would_deny", "denied_staged_would_allow",
                            "denied_by_both"};
    for (unsigned k = 0; k < 3; ++k) {
        const double off = med(syn[k][0]), on = med(syn[k][1]);
        rows.push_back({{"flow", names[k]},
                        {"new_flow_syn_cycles_median_without_staged", off},
                        {"new_flow_syn_cycles_median_with_staged", on},
                        {"added_cycles", on - off}});
    }
    return {
        {"status", "ok"},
        {"unit", "TSC cycles per packet, process_burst of 1 packet, median"},
        {"policy", "tests/e2e/staged/policy (enforced) and the same with 5002 for 5001 (staged)"},
        {"flows_per_case", flows},
        {"reps", c.reps},
        {"differences_counted", differences},
        {"established_cycles_median_without_staged", med(est[0])},
        {"established_cycles_median_with_staged", med(est[1])},
        {"rows", rows}};
}

}  // namespace wg::bench
