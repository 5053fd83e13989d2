// libFuzzer harness: the capture reader (common/lifecycle/capture.*), which
// `wardgate replay` and `wardgate learn` run on pcap/pcapng files holding
// attacker-chosen bytes.
//
// Beyond "no crash, no sanitizer report": a packet never holds more than
// kMaxCaptured bytes nor more than the input, its wire length is at least
// its captured length, its interface was described, an error names an
// offset inside the input, and the reader allocates within the budget (a
// length field claiming a huge block must not allocate it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "alloc_budget.hpp"
#include "lifecycle/capture.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    wg::fuzz::AllocBudget::install();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    wg::fuzz::AllocBudget budget(size);
    wg::lifecycle::CaptureReader r(in);
    wg::lifecycle::CapturedPacket p;
    size_t n = 0;
    while (r.next(p)) {
        if (p.data.size() > wg::lifecycle::kMaxCaptured || p.data.size() > size) std::abort();
        if (p.wire_len < p.data.size()) std::abort();
        if (p.iface >= r.interfaces()) std::abort();
        if (++n > size) std::abort();  // every packet consumes input bytes
    }
    if (!r.ok() && r.error().rfind("offset ", 0) != 0) std::abort();
    return 0;
}
