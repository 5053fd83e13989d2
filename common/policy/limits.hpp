// The one set of size limits of a policy. The loader enforces them with a
// located diagnostic (so `wardgate lint` rejects what the image decoder
// would) and the image codec (image.cpp) checks the same constants, so a
// policy that lints clean always round-trips through the image.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wg::policy::limits {

// Bytes of any one string the policy carries into the image: asset ids,
// label keys and values, zone names, file names. The image decoder refuses
// longer strings, so the loader must too.
inline constexpr uint32_t kMaxStringBytes = 4096;

// Bytes of one policy file (YAML or CSV) and of all files of a policy
// together. Parsing costs 15-250 bytes of memory per byte of YAML (a 50 MB
// file of rules took 4.1 GB; 250 is a flow list of one-character items, at
// yaml-cpp's ~480 bytes per node), and with aliases refused and the limits
// below nothing later multiplies it, so these bound the loader's memory; a
// 100,000-rule policy is about 11 MB of YAML.
inline constexpr uint64_t kMaxFileBytes = 16u << 20;
inline constexpr uint64_t kMaxPolicyBytes = 64u << 20;

// YAML nodes (scalars, lists, mappings) of one file and of all files of a
// policy. Bytes alone do not bound the parse: yaml-cpp costs ~500 bytes per
// node and a node can be 2 bytes of input (a flow list of one-character
// items), so a 16 MiB file could take ~4 GB. Real policies run ~6 bytes of
// YAML per node (a 100,000-rule policy is 1.2 M nodes over 200 files, the
// largest 6,000), so one million per file (~500 MB at worst while that file
// is parsed) and four million per policy leave ample room; split larger
// files (loader.cpp counts them in a first pass, before building any node).
inline constexpr uint64_t kMaxYamlNodesPerFile = 1000000;
inline constexpr uint64_t kMaxYamlNodesPerPolicy = 4000000;

// What the compiled policy expands to (expansion.hpp), checked while
// compiling with an error at the rule or bypass entry that crosses it:
// - classifier entries per address family (initiator prefixes x responder
//   prefixes x port ranges x protocols, summed over rules): the dataplane's
//   classifier refuses more (dataplane/policy/classifier.hpp kMaxAclRules),
//   so lint must too;
// - prefixes held by all rules together (a rule copies each group it names;
//   also bounds rules whose prefixes can never match and build no entry);
// - addresses held by all telemetry bypass entries (an entry copies every
//   address of its source or receiver class).
// Together they cap the compiled policy's address lists at a few tens of MB
// whatever the policy's size.
inline constexpr uint64_t kMaxClassifierRules = 200000;
inline constexpr uint64_t kMaxRulePrefixes = 400000;
inline constexpr uint64_t kMaxBypassPrefixes = 1000000;

// Diagnostics kept for one compile, and bytes of one diagnostic's message.
// Each element of a policy yields a bounded number of messages, but some
// checks compare elements pairwise and messages quote names, so without a
// cap a small file could still produce millions of long messages (and the
// control plane writes them to its state file). Past the cap, one
// `too-many-diagnostics` entry counts what was left out; it is an error if
// any left-out diagnostic was an error, so the verdict never changes.
inline constexpr size_t kMaxDiagnostics = 1000;
inline constexpr size_t kMaxDiagnosticBytes = 2 * kMaxStringBytes + 1024;

}  // namespace wg::policy::limits
