// Helpers for the policy tests: a scratch policy directory built from
// strings, and the path of the example policy.
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "policy/compiler.hpp"

namespace wg::test {

inline std::filesystem::path source_root() {
    return WG_SOURCE_ROOT;
}
inline std::filesystem::path example_policy() {
    return source_root() / "policies";
}

class ScratchDir {
  public:
    ScratchDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "wg-policy-test-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    void write(const std::string& rel, const std::string& text) const {
        auto p = path_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
    }

  private:
    std::filesystem::path path_;
};

// The classes of the minimal policy below: one copy for the tests that vary it.
inline constexpr const char* kMinimalClasses = R"(kind: DeviceClass
name: pump
mode: enforce
default_action: deny
egress:
  - name: time
    to: {group: ntp}
    proto: udp
    ports: [123]
  - name: to-server
    to: {class: server}
    proto: tcp
    ports: [443]
---
kind: DeviceClass
name: server
mode: enforce
default_action: deny
)";

// `text` with the first `from` replaced by `to`; throws if `from` is absent so
// a test cannot silently stop varying the fixture.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("fixture has no '" + from + "'");
    return text.replace(at, from.size(), to);
}

// A small valid policy; tests append or override files to break it.
inline void write_minimal_policy(const ScratchDir& d) {
    d.write("gateway.yaml", R"(kind: Gateway
name: test-gw
zones: [ICU]
clinical_space: [198.18.0.0/16]
core_space: [0.0.0.0/0]
unknown: {mode: monitor, default_action: deny}
address_groups:
  ntp: [198.19.0.123]
)");
    d.write("classes.yaml", kMinimalClasses);
    d.write("inventory.yaml", R"(kind: Inventory
hosts:
  - {asset_id: P1, mac: "00:09:fb:00:00:01", ip: 198.18.1.1, class: pump, zone: ICU, bind_mac_ip: true}
  - {asset_id: S1, ip: 198.19.1.1, class: server}
)");
}

}  // namespace wg::test
