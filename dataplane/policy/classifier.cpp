#include "policy/classifier.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <stdexcept>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "policy/rule_intersect.hpp"

namespace wg::dp {
namespace {

// Search keys. rte_acl wants a 1-byte first field and then 4-byte groups;
// multi-byte fields are stored in network order (rules are given in host
// order, the trie is walked byte by byte from the most significant).
//
// Group order is trie order, and it decides the trie's size: a rule with a
// wildcard in a field is replicated under every specific value other rules
// have there. The destination port, specific in almost every allow rule,
// comes right after the protocol, so "class -> any class, port 443" rules are
// only copied under 443; the mostly-wildcard zone and VLAN fields come late.
struct AclKey4 {
    uint8_t proto;
    uint8_t pad[3];
    uint16_t dport, sport;          // be16
    uint16_t src_class, dst_class;  // be16
    uint16_t src_zone, dst_zone;    // be16
    uint8_t src[4], dst[4];
    uint32_t vlan;  // be32
};
struct AclKey6 {
    uint8_t proto;
    uint8_t pad[3];
    uint16_t dport, sport;
    uint16_t src_class, dst_class;
    uint16_t src_zone, dst_zone;
    uint8_t src[16], dst[16];
    uint32_t vlan;
};

enum F4 { P4, SC4, DC4, SZ4, DZ4, SRC4, DST4, SP4, DP4, VL4, N4 };
enum F6 { P6, SC6, DC6, SZ6, DZ6, SRC6, DST6 = SRC6 + 4, SP6 = DST6 + 4, DP6, VL6, N6 };

RTE_ACL_RULE_DEF(AclRule4, N4);
RTE_ACL_RULE_DEF(AclRule6, N6);

constexpr uint8_t kMask = RTE_ACL_FIELD_TYPE_MASK;
constexpr uint8_t kRange = RTE_ACL_FIELD_TYPE_RANGE;
constexpr uint8_t kBits = RTE_ACL_FIELD_TYPE_BITMASK;

rte_acl_field_def fdef(uint8_t type, uint8_t size, uint8_t field, uint8_t input, size_t off) {
    return rte_acl_field_def{type, size, field, input, static_cast<uint32_t>(off)};
}

std::vector<rte_acl_field_def> defs4() {
    return {
        fdef(kBits, 1, P4, 0, offsetof(AclKey4, proto)),
        fdef(kRange, 2, DP4, 1, offsetof(AclKey4, dport)),
        fdef(kRange, 2, SP4, 1, offsetof(AclKey4, sport)),
        fdef(kBits, 2, SC4, 2, offsetof(AclKey4, src_class)),
        fdef(kBits, 2, DC4, 2, offsetof(AclKey4, dst_class)),
        fdef(kBits, 2, SZ4, 3, offsetof(AclKey4, src_zone)),
        fdef(kBits, 2, DZ4, 3, offsetof(AclKey4, dst_zone)),
        fdef(kMask, 4, SRC4, 4, offsetof(AclKey4, src)),
        fdef(kMask, 4, DST4, 5, offsetof(AclKey4, dst)),
        fdef(kBits, 4, VL4, 6, offsetof(AclKey4, vlan)),
    };
}

std::vector<rte_acl_field_def> defs6() {
    std::vector<rte_acl_field_def> d = {
        fdef(kBits, 1, P6, 0, offsetof(AclKey6, proto)),
        fdef(kRange, 2, DP6, 1, offsetof(AclKey6, dport)),
        fdef(kRange, 2, SP6, 1, offsetof(AclKey6, sport)),
        fdef(kBits, 2, SC6, 2, offsetof(AclKey6, src_class)),
        fdef(kBits, 2, DC6, 2, offsetof(AclKey6, dst_class)),
        fdef(kBits, 2, SZ6, 3, offsetof(AclKey6, src_zone)),
        fdef(kBits, 2, DZ6, 3, offsetof(AclKey6, dst_zone)),
    };
    for (uint8_t w = 0; w < 4; ++w)
        d.push_back(
            fdef(kMask, 4, uint8_t(SRC6 + w), uint8_t(4 + w), offsetof(AclKey6, src) + 4 * w));
    for (uint8_t w = 0; w < 4; ++w)
        d.push_back(
            fdef(kMask, 4, uint8_t(DST6 + w), uint8_t(8 + w), offsetof(AclKey6, dst) + 4 * w));
    d.push_back(fdef(kBits, 4, VL6, 12, offsetof(AclKey6, vlan)));
    return d;
}

uint32_t be_word(const uint8_t* a) {
    return (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | a[3];
}

// Exact-or-any match on a class / zone / VLAN / protocol field.
void exact16(rte_acl_field& f, uint16_t v, bool any) {
    f.value.u16 = any ? 0 : v;
    f.mask_range.u16 = any ? 0 : 0xffff;
}

bool ported(uint8_t proto) {
    return proto == 6 || proto == 17;
}

struct Ctx {
    rte_acl_ctx* ctx = nullptr;
    ~Ctx() {
        if (ctx) rte_acl_free(ctx);
    }
    rte_acl_ctx* release() {
        rte_acl_ctx* c = ctx;
        ctx = nullptr;
        return c;
    }
};

const char* alg_name(enum rte_acl_classify_alg a) {
    switch (a) {
        case RTE_ACL_CLASSIFY_AVX512X32:
            return "avx512x32";
        case RTE_ACL_CLASSIFY_AVX512X16:
            return "avx512x16";
        case RTE_ACL_CLASSIFY_AVX2:
            return "avx2";
        case RTE_ACL_CLASSIFY_SSE:
            return "sse";
        case RTE_ACL_CLASSIFY_NEON:
            return "neon";
        case RTE_ACL_CLASSIFY_ALTIVEC:
            return "altivec";
        case RTE_ACL_CLASSIFY_SCALAR:
            return "scalar";
        default:
            return "default";
    }
}

// Picks the widest classify method this CPU and EAL (max SIMD bitwidth)
// allow. avx512x16 works on 256-bit lanes of 16 flows: best for bursts of
// 32 without the AVX-512 frequency penalty.
std::string select_alg(rte_acl_ctx* ctx) {
    for (enum rte_acl_classify_alg a :
         {RTE_ACL_CLASSIFY_AVX512X16, RTE_ACL_CLASSIFY_AVX2, RTE_ACL_CLASSIFY_SSE,
          RTE_ACL_CLASSIFY_NEON, RTE_ACL_CLASSIFY_ALTIVEC, RTE_ACL_CLASSIFY_SCALAR})
        if (rte_acl_set_ctx_classify(ctx, a) == 0) return alg_name(a);
    return "default";
}

std::atomic<uint64_t> g_ctx_serial{0};

// DPDK heap bytes in use on every socket. rte_acl_gen puts a context's
// run-time tries there (its build scratch is malloc'ed), so the growth across
// one rte_acl_build is that context's run-time size. Another thread's
// rte_malloc meanwhile would only inflate it (the build then keeps the
// smallest-size tries, which are valid, just more of them).
size_t dpdk_heap_in_use() {
    size_t total = 0;
    for (int s = 0; s < RTE_MAX_NUMA_NODES; ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(s, &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

// Run-time size budget of one context, and the rule count above which the
// smallest-size build is tried first (Classifier::set_build_limits).
struct Limits {
    size_t smallest_first_rules, max_rt_size;
};

// Builds one context; rules already expanded. Null when there are no rules.
template <typename R>
rte_acl_ctx* build_ctx(const char* fam, uint64_t generation, int socket,
                       const std::vector<rte_acl_field_def>& defs, const std::vector<R>& rules,
                       Limits lim, bool& capped, std::string& alg, unsigned& builds) {
    if (rules.empty()) return nullptr;
    // rte_acl_create returns an existing context of the same name, so every
    // build gets its own: family, generation and a process-wide serial.
    char name[RTE_ACL_NAMESIZE];
    std::snprintf(name, sizeof name, "wg%s_g%llu_%llu", fam, (unsigned long long)generation,
                  (unsigned long long)g_ctx_serial.fetch_add(1));
    rte_acl_param prm{};
    prm.name = name;
    prm.socket_id = socket;
    prm.rule_size = RTE_ACL_RULE_SZ(defs.size());
    prm.max_rule_num = static_cast<uint32_t>(rules.size());
    Ctx c;
    c.ctx = rte_acl_create(&prm);
    if (c.ctx == nullptr)
        throw std::runtime_error(std::string("rte_acl_create(") + name +
                                 "): " + rte_strerror(rte_errno));
    int rc = rte_acl_add_rules(c.ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                               static_cast<uint32_t>(rules.size()));
    if (rc != 0)
        throw std::runtime_error(std::string("rte_acl_add_rules(") + fam +
                                 "): " + rte_strerror(-rc));
    rte_acl_config cfg{};
    cfg.num_categories = 1;
    cfg.num_fields = static_cast<uint32_t>(defs.size());
    std::copy(defs.begin(), defs.end(), cfg.defs);
    // Big rule sets: the smallest-size build first (max_size 0 = rte_acl's
    // smallest node limit, one pass). If even that exceeds the budget, every
    // capped attempt below would fail and end in this very build: keep it.
    if (rules.size() > lim.smallest_first_rules) {
        cfg.max_size = 0;
        const size_t heap0 = dpdk_heap_in_use();
        rc = rte_acl_build(c.ctx, &cfg);
        ++builds;
        const size_t heap1 = dpdk_heap_in_use();
        if (rc == 0 && heap1 > heap0 && heap1 - heap0 > lim.max_rt_size) {
            capped = false;
            alg = select_alg(c.ctx);
            return c.release();
        }
    }
    // First try for few tries within the size budget (rte_acl starts at its
    // largest node limit and halves it until the tries fit); if the rules
    // cannot fit (-ERANGE), rebuild with the default (smallest-size)
    // heuristic, as the rte_acl guide recommends.
    cfg.max_size = lim.max_rt_size;
    capped = true;
    rc = rte_acl_build(c.ctx, &cfg);
    ++builds;
    if (rc == -ERANGE) {
        capped = false;
        cfg.max_size = 0;
        rc = rte_acl_build(c.ctx, &cfg);
        ++builds;
    }
    if (rc != 0)
        throw std::runtime_error(std::string("rte_acl_build(") + fam + ", " +
                                 std::to_string(rules.size()) + " rules): " + rte_strerror(-rc));
    alg = select_alg(c.ctx);
    return c.release();
}

}  // namespace

std::vector<Classifier::Entry> Classifier::ranked_entries(const policy::CompiledPolicy& p,
                                                          std::deque<policy::Rule>& shapes) {
    using policy::Tier;
    std::vector<const policy::Rule*> guards, allows;
    for (const auto& r : p.rules) {
        if (r.tier == Tier::Guardrail)
            guards.push_back(&r);
        else if (r.tier == Tier::ClassAllow)
            allows.push_back(&r);
        else
            throw std::invalid_argument("rules must be guardrails or class allow rules");
        if (!r.exceptions.empty() && r.tier != Tier::Guardrail)
            throw std::invalid_argument("rule '" + r.name + "': only guardrails have exceptions");
    }
    auto rec = [](const policy::Rule& r) { return RuleRec{r.id, r.tier, r.mode, r.owner_class}; };
    // A guardrail G with exceptions is a decision list "if G∩E: decide as the
    // rest of the list would; else if G: deny". The rest is every later
    // guardrail (with its own carve-outs) and every allow rule, so the
    // carve-out C = G∩E becomes, above G: C∩M for every entry M of the rest,
    // in order, then C alone as "no rule" (the class defaults decide).
    // Built from the last guardrail up; blocks[i] holds guardrail i's
    // entries (its carve-outs, then itself).
    std::vector<std::vector<Entry>> blocks(guards.size());
    std::vector<Entry> tail;  // the allow rules
    for (const auto* a : allows) tail.push_back(Entry{a, rec(*a)});
    size_t total = tail.size();
    for (size_t gi = guards.size(); gi-- > 0;) {
        const policy::Rule& g = *guards[gi];
        auto& blk = blocks[gi];
        for (const auto& x : g.exceptions) {
            const auto carve = policy::intersect(g, policy::exception_shape(g, x));
            if (!carve) continue;  // outside its guardrail: carves nothing
            auto add = [&](const Entry& m) {
                if (auto s = policy::intersect(*carve, *m.shape)) {
                    shapes.push_back(std::move(*s));
                    blk.push_back(Entry{&shapes.back(), m.rec});
                }
            };
            for (size_t later = gi + 1; later < guards.size(); ++later)
                for (const auto& m : blocks[later]) add(m);
            for (const auto& m : tail) add(m);
            shapes.push_back(*carve);
            blk.push_back(Entry{&shapes.back(), RuleRec{policy::kNoRule, Tier::Default, g.mode,
                                                        policy::kAnyClass}});
            if (total + blk.size() > kMaxAclRules)
                throw std::invalid_argument(
                    "guardrail '" + g.name + "': its exceptions expand to more than " +
                    std::to_string(kMaxAclRules) +
                    " classifier entries (exceptions x later rules); narrow the exceptions");
        }
        blk.push_back(Entry{&g, rec(g)});
        total += blk.size();
    }
    std::vector<Entry> out;
    out.reserve(total);
    for (auto& b : blocks) out.insert(out.end(), b.begin(), b.end());
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
}

Classifier::~Classifier() {
    if (ctx4_) rte_acl_free(ctx4_);
    if (ctx6_) rte_acl_free(ctx6_);
}

void Classifier::build(const policy::CompiledPolicy& p, uint64_t generation) {
    classes_.clear();
    for (size_t i = 0; i < p.classes.size(); ++i) {
        const auto& c = p.classes[i];
        if (c.id != i)
            throw std::invalid_argument("class '" + c.name + "' has id " + std::to_string(c.id) +
                                        " at index " + std::to_string(i));
        classes_.push_back(ClassRec{uint8_t(c.default_action == policy::Action::Deny),
                                    uint8_t(c.mode == policy::Mode::Enforce)});
    }
    if (classes_.empty())
        throw std::invalid_argument("policy has no classes (class 0 'unknown' is required)");

    // Rank: every guardrail above every allow rule, policy order within a
    // tier. Lower rank = higher ACL priority. A guardrail's exceptions rank
    // just above it (see ranked_entries): the ACL's single best match stays
    // the evaluator's answer.
    using Clock = std::chrono::steady_clock;
    const auto ms = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const auto t0 = Clock::now();
    std::deque<policy::Rule> shapes;
    const std::vector<Entry> order = ranked_entries(p, shapes);

    rules_.clear();
    std::vector<AclRule4> r4;
    std::vector<AclRule6> r6;
    for (size_t rank = 0; rank < order.size(); ++rank) {
        const policy::Rule& r = *order[rank].shape;
        const uint32_t user = static_cast<uint32_t>(rules_.size() + 1);
        rules_.push_back(order[rank].rec);
        const int32_t prio = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - rank);
        const bool has_ports = !r.sports.empty() || !r.dports.empty();

        // Ports only exist for TCP and UDP: a rule with ports and protocol
        // "any" means TCP or UDP, and with another protocol never matches.
        std::vector<std::pair<uint8_t, bool>> protos;  // (proto, any)
        if (r.proto == policy::Proto::Any) {
            if (has_ports)
                protos = {{6, false}, {17, false}};
            else
                protos = {{0, true}};
        } else {
            const uint8_t pr = static_cast<uint8_t>(r.proto);
            if (has_ports && !ported(pr)) continue;
            protos = {{pr, false}};
        }
        const std::vector<policy::PortRange> any_port{policy::PortRange{0, 65535}};
        const auto& sps = r.sports.empty() ? any_port : r.sports;
        const auto& dps = r.dports.empty() ? any_port : r.dports;
        for (const auto& pr : sps)
            if (pr.lo > pr.hi)
                throw std::invalid_argument("rule '" + r.name + "': empty port range");
        for (const auto& pr : dps)
            if (pr.lo > pr.hi)
                throw std::invalid_argument("rule '" + r.name + "': empty port range");

        for (const uint8_t fam : {uint8_t(4), uint8_t(6)}) {
            // Endpoint prefixes of this family; one wildcard when unrestricted.
            auto pick = [&](const policy::Endpoint& e, std::vector<const policy::IpPrefix*>& out) {
                out.clear();
                if (e.prefixes.empty()) {
                    out.push_back(nullptr);
                    return;
                }
                for (const auto& x : e.prefixes)
                    if (x.family == fam) out.push_back(&x);
            };
            std::vector<const policy::IpPrefix*> sp, dp;
            pick(r.initiator, sp);
            pick(r.responder, dp);
            if (sp.empty() || dp.empty()) continue;  // no address of this family can match
            const size_t add = sp.size() * dp.size() * sps.size() * dps.size() * protos.size();
            const size_t have = fam == 4 ? r4.size() : r6.size();
            if (have + add > kMaxAclRules)
                throw std::invalid_argument(
                    "rule '" + r.name + "': the policy expands to more than " +
                    std::to_string(kMaxAclRules) + " IPv" + std::to_string(fam) +
                    " classifier rules (address lists x port lists); merge prefixes or ports");
            for (const auto* s : sp)
                for (const auto* d : dp)
                    for (const auto& spr : sps)
                        for (const auto& dpr : dps)
                            for (const auto& [proto, pany] : protos) {
                                auto common = [&](rte_acl_field* f, int P, int SC, int DC, int SZ,
                                                  int DZ, int SP, int DP, int VL) {
                                    f[P].value.u8 = pany ? 0 : proto;
                                    f[P].mask_range.u8 = pany ? 0 : 0xff;
                                    exact16(f[SC], r.initiator.class_id,
                                            r.initiator.class_id == policy::kAnyClass);
                                    exact16(f[DC], r.responder.class_id,
                                            r.responder.class_id == policy::kAnyClass);
                                    exact16(f[SZ], r.initiator.zone_id,
                                            r.initiator.zone_id == policy::kAnyZone);
                                    exact16(f[DZ], r.responder.zone_id,
                                            r.responder.zone_id == policy::kAnyZone);
                                    f[SP].value.u16 = spr.lo;
                                    f[SP].mask_range.u16 = spr.hi;
                                    f[DP].value.u16 = dpr.lo;
                                    f[DP].mask_range.u16 = dpr.hi;
                                    const bool vany = r.vlan == policy::kAnyVlan;
                                    f[VL].value.u32 = vany ? 0 : r.vlan;
                                    f[VL].mask_range.u32 = vany ? 0 : 0xffffffffu;
                                };
                                if (fam == 4) {
                                    AclRule4 a{};
                                    a.data = rte_acl_rule_data{1, prio, user};
                                    common(a.field, P4, SC4, DC4, SZ4, DZ4, SP4, DP4, VL4);
                                    a.field[SRC4].value.u32 = s ? be_word(s->addr.data()) : 0;
                                    a.field[SRC4].mask_range.u32 = s ? s->len : 0;
                                    a.field[DST4].value.u32 = d ? be_word(d->addr.data()) : 0;
                                    a.field[DST4].mask_range.u32 = d ? d->len : 0;
                                    r4.push_back(a);
                                } else {
                                    AclRule6 a{};
                                    a.data = rte_acl_rule_data{1, prio, user};
                                    common(a.field, P6, SC6, DC6, SZ6, DZ6, SP6, DP6, VL6);
                                    for (int w = 0; w < 4; ++w) {
                                        const int sl =
                                            s ? std::clamp(int(s->len) - 32 * w, 0, 32) : 0;
                                        const int dl =
                                            d ? std::clamp(int(d->len) - 32 * w, 0, 32) : 0;
                                        a.field[SRC6 + w].value.u32 =
                                            sl ? be_word(s->addr.data() + 4 * w) : 0;
                                        a.field[SRC6 + w].mask_range.u32 = uint32_t(sl);
                                        a.field[DST6 + w].value.u32 =
                                            dl ? be_word(d->addr.data() + 4 * w) : 0;
                                        a.field[DST6 + w].mask_range.u32 = uint32_t(dl);
                                    }
                                    r6.push_back(a);
                                }
                            }
        }
    }
    stats_ = ClassifierStats{};
    stats_.acl_rules4 = r4.size();
    stats_.acl_rules6 = r6.size();
    const auto t1 = Clock::now();
    stats_.expand_ms = ms(t0, t1);
    std::string alg4, alg6;
    const Limits lim{smallest_first_rules_, max_rt_size_};
    ctx4_ = build_ctx("4", generation, socket_, defs4(), r4, lim, stats_.size_capped4, alg4,
                      stats_.acl_builds);
    const auto t2 = Clock::now();
    stats_.build_ms4 = ms(t1, t2);
    try {
        ctx6_ = build_ctx("6", generation, socket_, defs6(), r6, lim, stats_.size_capped6, alg6,
                          stats_.acl_builds);
        stats_.build_ms6 = ms(t2, Clock::now());
    } catch (...) {
        rte_acl_free(ctx4_);
        ctx4_ = nullptr;
        throw;
    }
    stats_.alg = !alg4.empty() ? alg4 : (!alg6.empty() ? alg6 : "none (no rules)");
}

void Classifier::decide(uint32_t result, const Ident& src, const Ident& dst,
                        FlowDecision& out) const {
    using policy::Tier;
    // A guardrail exception with no later rule matching: as if nothing matched.
    if (result != 0 && rules_[result - 1].tier == Tier::Default) result = 0;
    if (result != 0) {
        const RuleRec& r = rules_[result - 1];
        out.rule = r.id;
        out.tier = r.tier;
        if (r.tier == Tier::Guardrail) {
            // Guardrails carry their own mode; attribution goes to the initiator.
            out.action = r.mode == policy::Mode::Monitor ? Action::ForwardRecord : Action::Drop;
            out.reason = Reason::Guardrail;
            out.deciding_class = src.class_id;
        } else {
            out.action = Action::Forward;
            out.reason = Reason::None;
            out.deciding_class = r.owner_class;
        }
        return;
    }
    // Defaults: denied if either end's class denies; enforced if any denying
    // class enforces; the initiator is named first.
    const size_t nc = classes_.size();
    const uint16_t sc = src.class_id < nc ? src.class_id : policy::kUnknownClass;
    const uint16_t dc = dst.class_id < nc ? dst.class_id : policy::kUnknownClass;
    const ClassRec s = classes_[sc], d = classes_[dc];
    out.rule = policy::kNoRule;
    out.tier = Tier::Default;
    if (!s.deny && !d.deny) {
        out.action = Action::Forward;
        out.reason = Reason::None;
        out.deciding_class = sc;
        return;
    }
    out.deciding_class = s.deny ? sc : dc;
    const bool enforce = (s.deny && s.enforce) || (d.deny && d.enforce);
    out.action = enforce ? Action::Drop : Action::ForwardRecord;
    out.reason = Reason::DefaultDeny;
}

void Classifier::chunk(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                       FlowDecision* out, unsigned n) const {
    AclKey4 k4[kChunk];
    AclKey6 k6[kChunk];
    const uint8_t* p4[kChunk];
    const uint8_t* p6[kChunk];
    uint32_t r4[kChunk], r6[kChunk];
    uint8_t i4[kChunk], i6[kChunk];
    unsigned n4 = 0, n6 = 0;

    for (unsigned i = 0; i < n; ++i) {
        const PacketMeta& m = *metas[i];
        const bool pt = ported(m.proto);
        // Non-TCP/UDP packets carry no ports (the parser puts ICMP type and
        // code in dport); their rules never have port constraints.
        const uint16_t sport = pt ? rte_cpu_to_be_16(m.sport) : 0;
        const uint16_t dport = pt ? rte_cpu_to_be_16(m.dport) : 0;
        if (m.family == 4) {
            AclKey4& k = k4[n4];
            k.proto = m.proto;
            k.pad[0] = k.pad[1] = k.pad[2] = 0;
            k.src_class = rte_cpu_to_be_16(src[i].class_id);
            k.dst_class = rte_cpu_to_be_16(dst[i].class_id);
            k.src_zone = rte_cpu_to_be_16(src[i].zone_id);
            k.dst_zone = rte_cpu_to_be_16(dst[i].zone_id);
            std::memcpy(k.src, m.src, 4);
            std::memcpy(k.dst, m.dst, 4);
            k.sport = sport;
            k.dport = dport;
            k.vlan = rte_cpu_to_be_32(m.vlan);
            p4[n4] = reinterpret_cast<const uint8_t*>(&k);
            i4[n4++] = static_cast<uint8_t>(i);
        } else if (m.family == 6) {
            AclKey6& k = k6[n6];
            k.proto = m.proto;
            k.pad[0] = k.pad[1] = k.pad[2] = 0;
            k.src_class = rte_cpu_to_be_16(src[i].class_id);
            k.dst_class = rte_cpu_to_be_16(dst[i].class_id);
            k.src_zone = rte_cpu_to_be_16(src[i].zone_id);
            k.dst_zone = rte_cpu_to_be_16(dst[i].zone_id);
            std::memcpy(k.src, m.src, 16);
            std::memcpy(k.dst, m.dst, 16);
            k.sport = sport;
            k.dport = dport;
            k.vlan = rte_cpu_to_be_32(m.vlan);
            p6[n6] = reinterpret_cast<const uint8_t*>(&k);
            i6[n6++] = static_cast<uint8_t>(i);
        } else {
            // Not IP: no rule can match; the class defaults decide.
            decide(0, src[i], dst[i], out[i]);
        }
    }
    if (n4) {
        if (ctx4_ == nullptr || rte_acl_classify(ctx4_, p4, r4, n4, 1) != 0)
            std::fill_n(r4, n4, 0u);
        for (unsigned j = 0; j < n4; ++j) decide(r4[j], src[i4[j]], dst[i4[j]], out[i4[j]]);
    }
    if (n6) {
        if (ctx6_ == nullptr || rte_acl_classify(ctx6_, p6, r6, n6, 1) != 0)
            std::fill_n(r6, n6, 0u);
        for (unsigned j = 0; j < n6; ++j) decide(r6[j], src[i6[j]], dst[i6[j]], out[i6[j]]);
    }
}

void Classifier::classify(const PacketMeta* const* metas, const Ident* src, const Ident* dst,
                          FlowDecision* out, unsigned n) const {
    for (unsigned off = 0; off < n; off += kChunk) {
        const unsigned c = std::min(kChunk, n - off);
        chunk(metas + off, src + off, dst + off, out + off, c);
    }
}

}  // namespace wg::dp
