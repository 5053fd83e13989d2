// libFuzzer harness: the dataplane frame parser on arbitrary bytes.
//
// The input is one Ethernet frame as it came off the wire. Like parse_mbuf(),
// the parser sees at most kParseWindow bytes of it while wire_len is the whole
// frame, so both the "fits in the window" and the "longer than the window"
// paths are reached. libFuzzer hands us an exact-size heap copy, so ASan
// catches a read one byte past the frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "parse/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 0xffff) return -1;  // longer than any frame; keep the corpus to real shapes
    const auto wire = static_cast<uint32_t>(size);
    const uint32_t len = wire < wg::dp::kParseWindow ? wire : wg::dp::kParseWindow;
    wg::dp::PacketMeta m;
    wg::dp::parse_frame(data, len, wire, m);
    // A frame accepted as IP without a complaint must hold the L4 bytes the
    // later stages will count and (for the flow key) read.
    if (m.kind == wg::dp::L2Kind::Ip && m.reason == wg::dp::Reason::None) {
        if (m.l3_offset >= wire || m.l4_offset < m.l3_offset ||
            uint32_t(m.l4_offset) + m.l4_len > wire)
            std::abort();
    }
    return 0;
}
