#include "policy/tables_impl.hpp"

#include <chrono>
#include <cstdio>
#include <exception>

namespace wg::dp {

TablesImpl::TablesImpl(const policy::CompiledPolicy& p, uint64_t generation, int socket)
    : policy_(p),
      generation_(generation),
      bypass_(socket),
      side_(socket),
      identity_(socket),
      classifier_(socket) {}

void TablesImpl::build() {
    const auto t0 = std::chrono::steady_clock::now();
    essentials_.build(policy_.essentials);
    bypass_.build(policy_);
    side_.build(policy_);
    identity_.build(policy_);
    classifier_.build(policy_, generation_);
    l7_.build(policy_);
    build_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string TablesImpl::describe() const {
    const auto& s = classifier_.stats();
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "generation %llu: %zu hosts, %zu rules -> %zu IPv4 + %zu IPv6 ACL rules (%s%s), "
                  "%zu bypass entries; identity %zu B, side %zu B, bypass %zu B; built in %.1f ms",
                  (unsigned long long)generation_, policy_.hosts.size(), policy_.rules.size(),
                  s.acl_rules4, s.acl_rules6, s.alg.c_str(),
                  (s.size_capped4 && s.size_capped6) ? "" : ", size-optimised tries",
                  policy_.bypass.size(), identity_.memory(), side_.memory(), bypass_.memory(),
                  build_ms_);
    return buf;
}

std::unique_ptr<PolicyTables> PolicyTables::build(const policy::CompiledPolicy& p,
                                                  uint64_t generation, int socket,
                                                  std::string& err) {
    try {
        auto t = std::make_unique<TablesImpl>(p, generation, socket);
        t->build();
        return t;
    } catch (const std::bad_alloc&) {
        err = "out of memory building the lookup tables (DPDK heap exhausted?)";
    } catch (const std::exception& e) {
        err = e.what();
    }
    return nullptr;
}

}  // namespace wg::dp
