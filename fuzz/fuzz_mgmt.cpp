// libFuzzer harness: every management-protocol decoder in one binary.
//
// The first input byte picks the decoder (modulo kTargets), the rest is its
// input. Sharing one corpus lets a payload found for one message (a status
// string list, a stats section) cross over into the others, and keeps the
// short CI run to one harness. Target 0 is the frame stream decoder, fed the
// bytes twice: whole, and split in two so the incremental path runs too.
//
// Property beyond "no crash": whatever a decoder accepts re-encodes to a
// canonical form that decodes and re-encodes to the same bytes, so an
// encoder/decoder pair that disagrees (a field dropped, a count off by one)
// is a finding, not only memory errors. And the first decode of each input
// runs under an allocation budget (alloc_budget.hpp): a decoder that
// allocates far more than it was sent is a finding at any input size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "alloc_budget.hpp"
#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"
#include "wire/bytes.hpp"

namespace {

using Bytes = std::vector<uint8_t>;
using Span = std::span<const uint8_t>;

template <typename Decode>
void round_trip(Span in, Decode decode) {
    Bytes once;
    try {
        auto decoded = [&] {
            wg::fuzz::AllocBudget budget(in.size());
            return decode(in);
        }();
        once = wg::mgmt::encode(decoded);
    } catch (const wg::wire::DecodeError&) {
        return;  // rejected: the expected outcome for most inputs
    }
    // A canonical encoding must decode (an exception here escapes: a finding)
    // and encode back to itself.
    if (wg::mgmt::encode(decode(Span(once))) != once) std::abort();
}

void frames(Span in) {
    const std::size_t split = in.empty() ? 0 : in[0] % (in.size() + 1);
    for (int pass = 0; pass < 2; ++pass) {
        wg::mgmt::FrameDecoder d;
        std::vector<wg::mgmt::Frame> got;
        try {
            wg::fuzz::AllocBudget budget(in.size());
            if (pass == 0) {
                d.feed(in);
                while (auto f = d.next()) got.push_back(std::move(*f));
            } else {
                d.feed(in.first(split));
                while (auto f = d.next()) got.push_back(std::move(*f));
                d.feed(in.subspan(split));
                while (auto f = d.next()) got.push_back(std::move(*f));
            }
        } catch (const wg::mgmt::ProtocolError&) {
            continue;
        }
        // Frames that came out re-encode to exactly the bytes they used.
        Bytes again;
        for (const auto& f : got) {
            auto b = wg::mgmt::encode_frame(f.type, f.request_id, f.payload);
            again.insert(again.end(), b.begin(), b.end());
        }
        if (again.size() + d.pending() != in.size() ||
            !std::equal(again.begin(), again.end(), in.begin()))
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    wg::fuzz::AllocBudget::install();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return -1;
    namespace m = wg::mgmt;
    constexpr unsigned kTargets = 9;
    const Span in(data + 1, size - 1);
    switch (data[0] % kTargets) {
        case 0:
            frames(in);
            break;
        case 1:
            round_trip(in, [](Span s) { return m::decode_status(s); });
            break;
        case 2:
            round_trip(in, [](Span s) { return m::decode_stats(s); });
            break;
        case 3:
            round_trip(in, [](Span s) { return m::decode_load_policy_request(s); });
            break;
        case 4:
            round_trip(in, [](Span s) { return m::decode_load_policy_response(s); });
            break;
        case 5:
            round_trip(in, [](Span s) { return m::decode_error(s); });
            break;
        case 6:
            round_trip(in, [](Span s) { return m::decode_audit_batch(s); });
            break;
        case 7:
            round_trip(in, [](Span s) { return m::decode_test_hook(s); });
            break;
        case 8:
            round_trip(in, [](Span s) { return m::decode_staged_policy_request(s); });
            break;
    }
    return 0;
}
