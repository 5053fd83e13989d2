// The L7 constraints of a rule, in the compiled form the dataplane holds, and
// the one call the pipeline stage makes on a flow's first client payload:
// inspect(constraint, prefix) -> NeedMore / Ok / Violation with a reason.
// Parsing (structure) is in the protocol files; this file is the policy side
// (which titles, applications, commands and modes are allowed).
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "l7/dicom.hpp"
#include "l7/hl7.hpp"
#include "l7/ntp.hpp"
#include "l7/pattern.hpp"
#include "l7/smb.hpp"

namespace wg::l7 {

inline constexpr size_t kMaxPatternsPerList = 16;

struct DicomConstraint {
    PatternTable<kMaxPatternsPerList, kDicomAeTitleLen> calling_ae_titles;
    PatternTable<kMaxPatternsPerList, kDicomAeTitleLen> called_ae_titles;
};

struct Hl7Constraint {
    PatternTable<kMaxPatternsPerList, kHl7FieldMax> sending_applications;
    PatternTable<kMaxPatternsPerList, kHl7FieldMax> sending_facilities;
    PatternTable<kMaxPatternsPerList, kHl7FieldMax> message_types;
};

struct SmbConstraint {
    bool deny_smbv1 = true;
};

struct NtpConstraint {
    uint8_t allowed_modes = 1u << 3;  // bit m set: mode m allowed; default client only
};

using Constraint = std::variant<DicomConstraint, Hl7Constraint, SmbConstraint, NtpConstraint>;

// Flat, pointer-free: the compiled image and the dataplane may copy them as bytes.
static_assert(std::is_trivially_copyable_v<DicomConstraint>);  // 580 bytes
static_assert(std::is_trivially_copyable_v<Hl7Constraint>);    // 3174 bytes
static_assert(std::is_trivially_copyable_v<SmbConstraint>);
static_assert(std::is_trivially_copyable_v<NtpConstraint>);

Protocol protocol_of(const Constraint& c);

// Policy-side checks on parsed fields.
Decision check(const DicomConstraint& c, const DicomAssociateRq& f);
Decision check(const Hl7Constraint& c, const Hl7Message& f);
Decision check(const SmbConstraint& c, const SmbMessage& f);
Decision check(const NtpConstraint& c, const NtpPacket& f);

// What the pipeline (and `wardgate explain`) gets back for a prefix.
struct Verdict {
    Status status = Status::NeedMore;
    uint32_t need = 0;             // NeedMore: total prefix length needed at least
    Reason reason = Reason::None;  // Violation
    AuditValue value;              // Violation: the offending value, escaped
};

// Parse + check. For TCP pass the contiguous prefix of the initiator's byte
// stream (FirstPayloadPool); for NTP the whole datagram. Allocation-free.
// `summary` (optional, for explain and audit; costs an escape pass, so the
// dataplane passes nullptr): the parsed fields, "calling=X called=Y", set
// when the parse got that far (Ok, or a constraint violation).
Verdict inspect(const Constraint& c, Bytes prefix, AuditValue* summary = nullptr);

// Policy-compile-time builders: the policy model's lists in, compiled form out.
// Each returns an error message for the policy author, empty on success.
struct DicomConstraintSpec {
    std::optional<std::vector<std::string>> calling_ae_titles, called_ae_titles;
};
struct Hl7ConstraintSpec {
    std::optional<std::vector<std::string>> sending_applications, sending_facilities, message_types;
};
struct NtpConstraintSpec {
    std::vector<int> modes;
};

std::string build(const DicomConstraintSpec& spec, DicomConstraint& out);
std::string build(const Hl7ConstraintSpec& spec, Hl7Constraint& out);
std::string build(const NtpConstraintSpec& spec, NtpConstraint& out);

}  // namespace wg::l7
