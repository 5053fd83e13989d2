#include "acl_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>

#include "harness.hpp"

namespace wg::bench {
namespace {

volatile uint64_t g_sink = 0;  // keeps the no-op loop's reads
constexpr unsigned kFields4 = 7, kFields6 = 13;
constexpr size_t kKey4 = 20, kKey6 = 44;

RTE_ACL_RULE_DEF(Rule4, kFields4);
RTE_ACL_RULE_DEF(Rule6, kFields6);

void field_defs(uint8_t family, std::vector<rte_acl_field_def>& d) {
    auto add = [&](uint8_t type, uint8_t size, uint8_t input, uint32_t offset) {
        rte_acl_field_def f{};
        f.type = type;
        f.size = size;
        f.field_index = static_cast<uint8_t>(d.size());
        f.input_index = input;
        f.offset = offset;
        d.push_back(f);
    };
    add(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0);  // protocol
    add(RTE_ACL_FIELD_TYPE_RANGE, 2, 1, 4);    // initiator class
    add(RTE_ACL_FIELD_TYPE_RANGE, 2, 1, 6);    // responder class
    const unsigned words = family == 4 ? 1 : 4;
    uint8_t in = 2;
    for (unsigned k = 0; k < words; ++k) add(RTE_ACL_FIELD_TYPE_MASK, 4, in++, 8 + 4 * k);
    for (unsigned k = 0; k < words; ++k)
        add(RTE_ACL_FIELD_TYPE_MASK, 4, in++, 8 + 4 * words + 4 * k);
    const uint32_t ports = 8 + 8 * words;
    add(RTE_ACL_FIELD_TYPE_RANGE, 2, in, ports);      // source port
    add(RTE_ACL_FIELD_TYPE_RANGE, 2, in, ports + 2);  // destination port
}

// Fills the fields of one rte_acl rule for (rule, initiator prefix, responder
// prefix, dport range).
void fill_fields(rte_acl_field* f, uint8_t family, const policy::Rule& r,
                 const policy::IpPrefix* ini, const policy::IpPrefix* rsp,
                 const policy::PortRange& dp) {
    unsigned i = 0;
    if (r.proto == policy::Proto::Any) {
        f[i].value.u8 = 0;
        f[i].mask_range.u8 = 0;
    } else {
        f[i].value.u8 = static_cast<uint8_t>(r.proto);
        f[i].mask_range.u8 = 0xff;
    }
    ++i;
    auto cls = [&](uint16_t c) {
        if (c == policy::kAnyClass) {
            f[i].value.u16 = 0;
            f[i].mask_range.u16 = 0xffff;
        } else {
            f[i].value.u16 = c;
            f[i].mask_range.u16 = c;
        }
        ++i;
    };
    cls(r.initiator.class_id);
    cls(r.responder.class_id);
    const unsigned words = family == 4 ? 1 : 4;
    auto addr = [&](const policy::IpPrefix* p) {
        for (unsigned k = 0; k < words; ++k, ++i) {
            if (!p) {
                f[i].value.u32 = 0;
                f[i].mask_range.u32 = 0;
                continue;
            }
            uint32_t v;
            std::memcpy(&v, p->addr.data() + 4 * k, 4);
            f[i].value.u32 = rte_be_to_cpu_32(v);
            const int len = std::clamp(int(p->len) - int(32 * k), 0, 32);
            f[i].mask_range.u32 = static_cast<uint32_t>(len);
        }
    };
    addr(ini);
    addr(rsp);
    f[i].value.u16 = 0;  // source port: rules here never restrict it
    f[i].mask_range.u16 = 0xffff;
    ++i;
    f[i].value.u16 = dp.lo;
    f[i].mask_range.u16 = dp.hi;
}

template <typename RuleT>
std::vector<RuleT> expand(const policy::CompiledPolicy& p, uint8_t family) {
    std::vector<RuleT> out;
    const policy::PortRange any{};
    for (const auto& r : p.rules) {
        std::vector<const policy::IpPrefix*> ini, rsp;
        for (const auto& x : r.initiator.prefixes)
            if (x.family == family) ini.push_back(&x);
        for (const auto& x : r.responder.prefixes)
            if (x.family == family) rsp.push_back(&x);
        if (ini.empty()) ini.push_back(nullptr);
        if (rsp.empty()) rsp.push_back(nullptr);
        std::vector<policy::PortRange> dps = r.dports.empty() ? std::vector{any} : r.dports;
        for (auto* a : ini)
            for (auto* b : rsp)
                for (const auto& dp : dps) {
                    RuleT rule{};
                    rule.data.category_mask = 1;
                    // Guardrails (deny) outrank class allows; earlier rules win ties.
                    const uint32_t base = r.tier == policy::Tier::Guardrail
                                              ? RTE_ACL_MAX_PRIORITY
                                              : RTE_ACL_MAX_PRIORITY / 2;
                    rule.data.priority = static_cast<int32_t>(base - r.id);
                    rule.data.userdata = r.id + 1;
                    fill_fields(rule.field, family, r, a, b, dp);
                    out.push_back(rule);
                }
    }
    return out;
}

void make_key(uint8_t* k, const Flow& f) {
    k[0] = f.proto;
    const uint16_t sc = rte_cpu_to_be_16(f.src_class), dc = rte_cpu_to_be_16(f.dst_class);
    std::memcpy(k + 4, &sc, 2);
    std::memcpy(k + 6, &dc, 2);
    const unsigned alen = f.family == 4 ? 4 : 16;
    std::memcpy(k + 8, f.src.data(), alen);
    std::memcpy(k + 8 + alen, f.dst.data(), alen);
    const uint16_t sp = rte_cpu_to_be_16(f.sport), dp = rte_cpu_to_be_16(f.dport);
    std::memcpy(k + 8 + 2 * alen, &sp, 2);
    std::memcpy(k + 10 + 2 * alen, &dp, 2);
}

struct Ctx {
    rte_acl_ctx* ctx = nullptr;
    ~Ctx() {
        if (ctx) rte_acl_free(ctx);
    }
};

const char* alg_name(int a) {
    switch (a) {
        case RTE_ACL_CLASSIFY_SCALAR:
            return "scalar";
        case RTE_ACL_CLASSIFY_SSE:
            return "sse";
        case RTE_ACL_CLASSIFY_AVX2:
            return "avx2";
        case RTE_ACL_CLASSIFY_AVX512X16:
            return "avx512x16";
        case RTE_ACL_CLASSIFY_AVX512X32:
            return "avx512x32";
        default:
            return "other";
    }
}

}  // namespace

nlohmann::json acl_bench(const Workload& w, const AclOptions& o, double tsc_hz) {
    const auto& pol = w.policy;
    const uint8_t fam = pol.hosts.empty() ? 4 : pol.hosts.front().ip.family;
    const unsigned nf = fam == 4 ? kFields4 : kFields6;
    static unsigned seq = 0;
    const std::string name = "wgb_acl_" + std::to_string(seq++);

    nlohmann::json j;
    j["family"] = fam;
    j["policy_rules"] = pol.rules.size();
    j["hosts"] = pol.hosts.size();

    reset_peak_rss();
    const uint64_t rss0 = current_rss_bytes();
    const uint64_t heap0 = dpdk_heap_allocated();
    const auto t0 = std::chrono::steady_clock::now();

    Ctx c;
    std::vector<rte_acl_field_def> defs;
    field_defs(fam, defs);
    size_t nrules = 0;
    {
        rte_acl_param prm{};
        prm.name = name.c_str();
        prm.socket_id = SOCKET_ID_ANY;
        prm.rule_size = RTE_ACL_RULE_SZ(nf);
        int rc = 0;
        if (fam == 4) {
            auto rules = expand<Rule4>(pol, fam);
            nrules = rules.size();
            prm.max_rule_num = static_cast<uint32_t>(nrules);
            c.ctx = rte_acl_create(&prm);
            if (!c.ctx) throw std::runtime_error("rte_acl_create failed");
            rc = rte_acl_add_rules(c.ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                                   static_cast<uint32_t>(nrules));
        } else {
            auto rules = expand<Rule6>(pol, fam);
            nrules = rules.size();
            prm.max_rule_num = static_cast<uint32_t>(nrules);
            c.ctx = rte_acl_create(&prm);
            if (!c.ctx) throw std::runtime_error("rte_acl_create failed");
            rc = rte_acl_add_rules(c.ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                                   static_cast<uint32_t>(nrules));
        }
        if (rc != 0) throw std::runtime_error("rte_acl_add_rules: " + std::to_string(rc));
        rte_acl_config cfg{};
        cfg.num_categories = 1;
        cfg.num_fields = nf;
        std::memcpy(cfg.defs, defs.data(), defs.size() * sizeof(defs[0]));
        cfg.max_size = 0;
        if (int b = rte_acl_build(c.ctx, &cfg); b != 0)
            throw std::runtime_error("rte_acl_build: " + std::to_string(b));
    }
    const auto t1 = std::chrono::steady_clock::now();
    j["acl_rules"] = nrules;
    j["build_ms"] = std::chrono::duration<double, std::milli>(t1 - t0).count();
    j["runtime_bytes"] = dpdk_heap_allocated() - heap0;
    j["build_peak_rss_growth_bytes"] = peak_rss_bytes() > rss0 ? peak_rss_bytes() - rss0 : 0;
    // The builder's temporary pools are freed after the build; the context
    // keeps only its runtime trie in DPDK memory.
    rte_acl_reset_rules(c.ctx);  // drop the rule copies: only the runtime trie is needed

    if (!o.classify) return j;

    const size_t klen = fam == 4 ? kKey4 : kKey6;
    auto keyset = [&](const std::vector<Flow>& flows) {
        std::vector<uint8_t> keys(flows.size() * klen);
        for (size_t i = 0; i < flows.size(); ++i) make_key(keys.data() + i * klen, flows[i]);
        return keys;
    };
    const auto allowed = allowed_flows(w, o.flows, 11);
    const auto denied = denied_flows(w, o.flows, 12);
    const auto ka = keyset(allowed), kd = keyset(denied);
    Zipf z(o.flows, 0.99, 13);
    const auto order = z.sequence(o.keys_per_rep, 14);

    auto measure = [&](const std::vector<uint8_t>& keys, bool noop) {
        std::vector<const uint8_t*> ptr(order.size());
        for (size_t i = 0; i < order.size(); ++i) ptr[i] = keys.data() + size_t(order[i]) * klen;
        std::vector<uint32_t> res(kBurst);
        std::vector<double> cpp;
        uint64_t matched = 0, total = 0;
        for (unsigned rep = 0; rep < o.reps; ++rep) {
            uint64_t sink = 0;
            const uint64_t a = rte_rdtsc();
            for (size_t i = 0; i + kBurst <= ptr.size(); i += kBurst) {
                if (noop) {
                    for (unsigned k = 0; k < kBurst; ++k) sink += ptr[i + k][0];
                } else {
                    rte_acl_classify(c.ctx, ptr.data() + i, res.data(), kBurst, 1);
                    for (unsigned k = 0; k < kBurst; ++k) matched += res[k] != 0;
                }
            }
            const uint64_t b = rte_rdtsc();
            total += ptr.size() / kBurst * kBurst;
            g_sink = g_sink + sink;
            cpp.push_back(double(b - a) / double(ptr.size() / kBurst * kBurst));
        }
        nlohmann::json m;
        m["cycles_per_key"] = median(cpp);
        m["cycles_per_key_reps"] = cpp;
        m["mkeys_per_s"] = tsc_hz / median(cpp) / 1e6;
        if (!noop) m["matched_share"] = total ? double(matched) / double(total) : 0;
        return m;
    };

    j["flows"] = o.flows;
    j["keys_per_rep"] = o.keys_per_rep;
    j["noop_key_loop"] = measure(ka, true);
    nlohmann::json algs = nlohmann::json::object();
    for (int a : {RTE_ACL_CLASSIFY_SCALAR, RTE_ACL_CLASSIFY_SSE, RTE_ACL_CLASSIFY_AVX2,
                  RTE_ACL_CLASSIFY_AVX512X16, RTE_ACL_CLASSIFY_AVX512X32}) {
        if (rte_acl_set_ctx_classify(c.ctx, static_cast<enum rte_acl_classify_alg>(a)) != 0)
            continue;
        nlohmann::json r;
        r["allowed"] = measure(ka, false);
        r["denied"] = measure(kd, false);
        algs[alg_name(a)] = r;
    }
    j["algorithms"] = algs;
    return j;
}

}  // namespace wg::bench
