// `wardgate learn --audit FILE`: the control plane's JSON audit log (one
// event per line, docs/operations.md) of a monitor-mode period as learner
// input. Each flow_denied / flow_would_deny event is re-judged with the
// current policy (the classes and verdict of today's policy, not of the
// one that logged it) and fed to the learner as one flow of one packet.
// Lines that are not audit events (other JSON, garbage) are counted and
// skipped, never fatal: a log is appended to by a running daemon.
#pragma once

#include <istream>
#include <string>

#include "lifecycle/learn.hpp"

namespace wg::lifecycle {

struct AuditInputStats {
    uint64_t lines = 0, events = 0, skipped = 0;
};

AuditInputStats read_audit(std::istream& in, const policy::CompiledPolicy& p, Learner& l);

// One observed flow (or `flows` of the same tuple between first and last),
// judged with `p` (arrival port from the source address) and given to `l`.
void feed_tuple(const policy::CompiledPolicy& p, Learner& l, policy::Tuple t, uint64_t first_ns,
                uint64_t last_ns, uint64_t flows);

// `wardgate learn --live STATE`: the control plane's bounded record of new
// flows (STATE/learned-flows.json, controlplane/flow_record.hpp). Returns
// "" or an error; `records` and `overflow` say what it held.
std::string read_live(const std::string& state_dir, const policy::CompiledPolicy& p, Learner& l,
                      uint64_t& records, uint64_t& overflow);

// "2026-12-03T16:10:04.123456Z" -> ns since the epoch; false if malformed.
bool parse_utc(const std::string& s, uint64_t& ns);

}  // namespace wg::lifecycle
