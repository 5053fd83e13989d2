// Live learning (issue 13 part 1): a bounded, persisted record of the new
// flows the control plane hears about, for `wardgate learn --live STATE`.
// Fed from the audit events it already drains (deny and would-deny: in
// monitor mode every flow the policy does not allow yet, which is what
// learning proposes rules for). Aggregated by (source, destination,
// protocol, destination port, VLAN) with counts and first/last seen: host
// pairs rather than classes, so `learn` re-judges them with the policy of
// the day. Bounded: at most kMaxRecords entries (about 100 bytes each);
// events past the cap are counted in `overflow`, never grow memory.
// Survives restarts: written atomically (atomic_file.hpp) to
// STATE/learned-flows.json at most every `save_every` and at destruction,
// and read back at construction.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "mgmt/messages.hpp"

namespace wg::cp {

class FlowRecord {
  public:
    static constexpr size_t kMaxRecords = 65536;
    static constexpr const char* kFileName = "learned-flows.json";
    using Clock = std::chrono::steady_clock;

    explicit FlowRecord(std::filesystem::path state_dir,
                        std::chrono::seconds save_every = std::chrono::seconds(10));
    ~FlowRecord();
    FlowRecord(const FlowRecord&) = delete;
    FlowRecord& operator=(const FlowRecord&) = delete;

    void ingest(const mgmt::AuditBatch& b, Clock::time_point now = Clock::now());
    // Writes the file if anything changed; an error message on failure.
    std::optional<std::string> save();

    size_t size() const { return recs_.size(); }
    uint64_t overflow() const { return overflow_; }
    const std::string& load_error() const { return load_error_; }

  private:
    using Key = std::tuple<uint8_t, std::array<uint8_t, 16>, std::array<uint8_t, 16>, uint8_t,
                           uint16_t, uint16_t>;  // family, src, dst, proto, dport, vlan
    struct Rec {
        uint64_t flows = 0, first_ns = 0, last_ns = 0;
    };
    std::filesystem::path file_;
    std::chrono::seconds save_every_;
    Clock::time_point last_save_{};
    std::map<Key, Rec> recs_;
    uint64_t overflow_ = 0;
    bool dirty_ = false;
    std::string load_error_;
};

}  // namespace wg::cp
