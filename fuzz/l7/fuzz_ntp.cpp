// libFuzzer harness: NTP mode/version/length parser + mode bitmask.
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const wg::l7::Constraint c = wg::l7::NtpConstraint{1u << 3};
    auto r = wg::l7::parse_ntp(wg::l7::Bytes(data, size));
    // A datagram is whole: the NTP parser never asks for more.
    l7fuzz::require(r.status != wg::l7::Status::NeedMore);
    if (r.status == wg::l7::Status::Ok) l7fuzz::require(r.fields.mode < 8);
    auto v = wg::l7::inspect(c, wg::l7::Bytes(data, size));
    l7fuzz::check_verdict(v, size);
    return 0;
}
