// Shared vocabulary of the L7 first-payload parsers: the three outcomes of an
// incremental parse, the stable reason codes a violation carries (they become
// audit fields and metric labels, so their names never change), and the
// length-limited, escaped "offending value" that goes into the audit record.
// Everything here is fixed-size and allocation-free so that the dataplane can
// hold it on the stack of a worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wg::l7 {

using Bytes = std::span<const uint8_t>;

enum class Protocol : uint8_t { Dicom, Hl7, Smb, Ntp };

std::string_view protocol_name(Protocol p);

// Append new codes at the end of a protocol's block; never renumber or rename:
// the names are audit vocabulary and Prometheus label values.
enum class Reason : uint8_t {
    None = 0,
    // DICOM upper layer (PS3.8 9.3.2)
    DicomNotAssociateRq,      // first PDU type is not 0x01
    DicomBadProtocolVersion,  // bit 0 of the protocol-version field is clear
    DicomBadPduLength,        // PDU length below the fixed part or above the cap
    DicomBadItem,             // the first variable item is not an application context (0x10)
    DicomBadAeTitle,          // an AE title is all spaces or has a non-printable byte
    DicomCallingAeDenied,     // constraint: calling AE title not in the list
    DicomCalledAeDenied,      // constraint: called AE title not in the list
    // HL7 v2 over MLLP
    Hl7NotMllp,                // first byte is not the MLLP start block 0x0B
    Hl7NotMsh,                 // the message does not start with an MSH segment
    Hl7BadSeparators,          // MSH-1/MSH-2 declare unusable separators
    Hl7FieldTooLong,           // an inspected field exceeds kHl7FieldMax
    Hl7Truncated,              // the segment or message ends before MSH-9
    Hl7SendingAppDenied,       // constraint: MSH-3 not in the list
    Hl7SendingFacilityDenied,  // constraint: MSH-4 not in the list
    Hl7MessageTypeDenied,      // constraint: MSH-9 not in the list
    // SMB over NetBIOS session / direct TCP
    SmbBadNetbios,        // NetBIOS session header type or length unusable
    SmbNotSmb,            // no 0xFF/0xFE 'SMB' magic where the SMB message starts
    SmbBadNegotiate,      // SMB1 NEGOTIATE with a malformed dialect list
    SmbTransformFirst,    // 0xFD 'SMB' (encrypted) before any negotiation
    Smb1Command,          // constraint: SMB1 command other than NEGOTIATE
    Smb1NegotiateNoSmb2,  // constraint: SMB1 NEGOTIATE offering no SMB2 dialect
    // NTP
    NtpTooShort,    // shorter than the header its mode requires
    NtpBadVersion,  // version field outside 1..4
    NtpModeDenied,  // constraint: mode not in the allowed bitmask
    // TCP first-payload accumulation (accumulator.hpp)
    TcpOverlapMismatch,  // a retransmission rewrote bytes already inspected
    Count
};

std::string_view reason_name(Reason r);

// The offending value as it goes into the audit record: printable ASCII kept,
// everything else (and '\\' and '"') as \xHH, cut at kAuditValueMax characters
// with a trailing "..." marker. Always NUL-terminated.
inline constexpr size_t kAuditValueMax = 64;

struct AuditValue {
    // Only text[0..len] is meaningful; not zero-filled so that a Result on
    // the hot path costs no memset.
    char text[kAuditValueMax + 1];
    uint8_t len = 0;

    AuditValue() { text[0] = '\0'; }

    std::string_view view() const { return {text, len}; }
    // Escapes raw bytes into this value (replacing what was there).
    void set(Bytes raw);
    void set(std::string_view raw);
    // Appends raw bytes (escaped); used to build a list such as SMB dialects.
    void append(Bytes raw);
    void append(std::string_view raw);
    // A one-byte value rendered as 0xHH (an SMB command, a PDU type).
    void set_hex(uint8_t b);
    void set_uint(uint32_t v);
};

enum class Status : uint8_t {
    NeedMore,  // the prefix is consistent so far; `need` says how long it must get at least
    Ok,        // fields are valid
    Violation  // `reason` and `value` say why
};

template <typename Fields>
struct Result {
    Status status = Status::NeedMore;
    uint32_t need = 0;  // NeedMore only: total prefix length needed at least
    Reason reason = Reason::None;
    AuditValue value;
    Fields fields;  // default-initialized: no memset of text buffers on the hot path

    static Result need_more(uint32_t total) {
        Result r;
        r.status = Status::NeedMore;
        r.need = total;
        return r;
    }
    static Result ok(const Fields& f) {
        Result r;
        r.status = Status::Ok;
        r.fields = f;
        return r;
    }
    static Result violation(Reason why) {
        Result r;
        r.status = Status::Violation;
        r.reason = why;
        return r;
    }
    static Result violation(Reason why, Bytes offending) {
        Result r = violation(why);
        r.value.set(offending);
        return r;
    }
};

// A verdict of a constraint on parsed fields: Reason::None means allowed.
struct Decision {
    Reason reason = Reason::None;
    AuditValue value;
    bool allowed() const { return reason == Reason::None; }
};

// Short fixed-capacity text (an AE title, an HL7 field) copied out of the
// payload so that results never point into packet memory.
template <size_t N>
struct FixedText {
    char data[N];  // only data[0..len) is meaningful
    uint8_t len = 0;
    std::string_view view() const { return {data, len}; }
};

}  // namespace wg::l7
