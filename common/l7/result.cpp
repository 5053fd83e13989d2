#include "l7/result.hpp"

#include <array>

namespace wg::l7 {

std::string_view protocol_name(Protocol p) {
    switch (p) {
        case Protocol::Dicom:
            return "dicom";
        case Protocol::Hl7:
            return "hl7";
        case Protocol::Smb:
            return "smb";
        case Protocol::Ntp:
            return "ntp";
    }
    return "unknown";
}

namespace {
constexpr std::array<std::string_view, static_cast<size_t>(Reason::Count)> kReasonNames = {
    "none",
    "dicom_not_associate_rq",
    "dicom_bad_protocol_version",
    "dicom_bad_pdu_length",
    "dicom_bad_item",
    "dicom_bad_ae_title",
    "dicom_calling_ae_denied",
    "dicom_called_ae_denied",
    "hl7_not_mllp",
    "hl7_not_msh",
    "hl7_bad_separators",
    "hl7_field_too_long",
    "hl7_truncated",
    "hl7_sending_application_denied",
    "hl7_sending_facility_denied",
    "hl7_message_type_denied",
    "smb_bad_netbios",
    "smb_not_smb",
    "smb_bad_negotiate",
    "smb_transform_first",
    "smb1_command",
    "smb1_negotiate_no_smb2",
    "ntp_too_short",
    "ntp_bad_version",
    "ntp_mode_denied",
    "tcp_overlap_mismatch",
};
constexpr std::string_view kCut = "...";
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string_view reason_name(Reason r) {
    auto i = static_cast<size_t>(r);
    return i < kReasonNames.size() ? kReasonNames[i] : "unknown";
}

void AuditValue::set(Bytes raw) {
    len = 0;
    text[0] = '\0';
    append(raw);
}

void AuditValue::set(std::string_view raw) {
    set(Bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

void AuditValue::append(std::string_view raw) {
    append(Bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

// Room is reserved for the "..." marker, so a cut value is always visibly cut.
void AuditValue::append(Bytes raw) {
    constexpr size_t room = kAuditValueMax - kCut.size();
    if (len > room) return;  // already cut
    for (uint8_t b : raw) {
        bool plain = b >= 0x20 && b < 0x7f && b != '\\' && b != '"';
        size_t w = plain ? 1 : 4;
        if (len + w > room) {
            for (char c : kCut) text[len++] = c;
            text[len] = '\0';
            return;
        }
        if (plain) {
            text[len++] = static_cast<char>(b);
        } else {
            text[len++] = '\\';
            text[len++] = 'x';
            text[len++] = kHex[b >> 4];
            text[len++] = kHex[b & 0xf];
        }
    }
    text[len] = '\0';
}

void AuditValue::set_hex(uint8_t b) {
    text[0] = '0';
    text[1] = 'x';
    text[2] = kHex[b >> 4];
    text[3] = kHex[b & 0xf];
    text[4] = '\0';
    len = 4;
}

void AuditValue::set_uint(uint32_t v) {
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    len = 0;
    while (n) text[len++] = tmp[--n];
    text[len] = '\0';
}

}  // namespace wg::l7
