// DICOM upper layer (PS3.8 section 9.3.2): the first PDU a client sends on an
// association must be an A-ASSOCIATE-RQ. Offsets (0-based, from the first
// payload byte):
//   [0] PDU type 0x01    [1] reserved    [2..5] PDU length, big-endian u32
//   [6..7] protocol version, bit 0 set   [8..9] reserved
//   [10..25] called AE title (16 bytes)  [26..41] calling AE title (16 bytes)
//   [42..73] reserved                    [74] first item: application context 0x10
// Reserved bytes are not tested (the standard says receivers must not).
#pragma once

#include "l7/result.hpp"

namespace wg::l7 {

inline constexpr uint8_t kDicomAssociateRq = 0x01;
inline constexpr size_t kDicomAeTitleLen = 16;
inline constexpr size_t kDicomCalledOffset = 10;
inline constexpr size_t kDicomCallingOffset = 26;
// Bytes the parser needs for its verdict: the fixed part plus the first item type.
inline constexpr size_t kDicomDecisionBytes = 75;
// PDU length bounds: at least the fixed part after the 6-byte header (68) plus
// one item header; at most a generous cap (an RQ with 128 presentation
// contexts is ~20 KB) so an absurd length is refused instead of trusted.
inline constexpr uint32_t kDicomMinPduLength = 68 + 4;
inline constexpr uint32_t kDicomMaxPduLength = 256 * 1024;

using AeTitle = FixedText<kDicomAeTitleLen>;

struct DicomAssociateRq {
    AeTitle called;   // trimmed of leading/trailing spaces
    AeTitle calling;  // trimmed of leading/trailing spaces
    uint32_t pdu_length = 0;
};

// Incremental over the contiguous prefix of the client's first payload.
Result<DicomAssociateRq> parse_dicom(Bytes prefix);

}  // namespace wg::l7
