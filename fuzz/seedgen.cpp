// Writes the binary seed corpora with the project's own encoders, so the
// seeds follow the wire formats when they change:
//   fuzz-seedgen OUT POLICY_DIR...
// OUT/mgmt/*: one encoded message per decoder (first byte = the harness's
// decoder selector), shaped like the unit tests' (tests/common/mgmt/messages_test.cpp),
// plus framed streams; OUT/image/*: the image of each POLICY_DIR that
// compiles. fuzz/gen-seeds runs it and adds the text and frame seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"
#include "policy/compiler.hpp"
#include "policy/image.hpp"
#include "stats/latency_histogram.hpp"
// The same sample messages the round-trip tests encode.
#include "../tests/common/mgmt/samples.hpp"

namespace fs = std::filesystem;
namespace m = wg::mgmt;
using Bytes = std::vector<uint8_t>;

namespace {

fs::path g_out;

void put(const std::string& dir, const std::string& name, const Bytes& b) {
    fs::create_directories(g_out / dir);
    std::ofstream(g_out / dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void put_msg(uint8_t selector, const std::string& name, const Bytes& payload) {
    Bytes b{selector};
    b.insert(b.end(), payload.begin(), payload.end());
    put("mgmt", name, b);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz-seedgen OUT [POLICY_DIR...]\n");
        return 2;
    }
    g_out = argv[1];

    const m::Status s = wg::test::sample_status();
    put_msg(1, "status", m::encode(s));

    wg::stats::Snapshot st = wg::test::sample_snapshot();
    put_msg(2, "stats", m::encode(st));
    // A dataplane with many classes sends many (mostly idle) histograms.
    wg::stats::Histogram idle;
    st.histograms.assign(16, idle);
    put_msg(2, "stats-idle-histograms", m::encode(st));

    put_msg(3, "load-request", m::encode(m::LoadPolicyRequest{{1, 2, 3, 4, 5, 6, 7, 8}}));
    put_msg(4, "load-response-ok", m::encode(m::LoadPolicyResponse{true, 3, ""}));
    put_msg(4, "load-response-err", m::encode(m::LoadPolicyResponse{false, 2, "bad image"}));
    put_msg(5, "error", m::encode(m::ErrorResponse{4, "unknown message type"}));

    m::AuditBatch ab = wg::test::sample_audit_batch();
    m::AuditEvent e = ab.events.at(0);
    e.family = 4;
    e.proto = 17;
    e.vlan = 120;
    ab.events.push_back(e);
    put_msg(6, "audit", m::encode(ab));
    put_msg(7, "test-hook", m::encode(m::TestHook{"stall-worker", 250}));
    put_msg(8, "staged-load", m::encode(m::StagedPolicyRequest{false, {1, 2, 3, 4}}));
    put_msg(8, "staged-clear", m::encode(m::StagedPolicyRequest{true, {}}));
    put_msg(6, "audit-staged", m::encode(wg::test::sample_staged_audit_batch()));
    put_msg(2, "stats-staged", m::encode(wg::test::sample_staged_snapshot()));

    // Framed streams: a request and its response back to back, as on the socket.
    Bytes stream = m::encode_frame(m::MsgType::StatusRequest, 1, {});
    auto resp = m::encode_frame(m::MsgType::StatusResponse, 1, m::encode(s));
    stream.insert(stream.end(), resp.begin(), resp.end());
    put_msg(0, "frames", stream);
    put_msg(0, "frame-stats", m::encode_frame(m::MsgType::StatsResponse, 9, m::encode(st)));

    for (int i = 2; i < argc; ++i) {
        auto r = wg::policy::compile_directory(argv[i]);
        if (!r.ok()) {
            std::fprintf(stderr, "fuzz-seedgen: %s does not compile, no image seed\n", argv[i]);
            continue;
        }
        r.policy->commit = "";  // deterministic seeds whatever the checkout
        auto img = wg::policy::encode_image(*r.policy);
        auto name = fs::path(argv[i]).lexically_normal().relative_path().string();
        for (auto& ch : name)
            if (ch == '/') ch = '-';
        put("image", name, img);
        put_msg(3, "load-request-" + name, m::encode(m::LoadPolicyRequest{img}));
    }
    return 0;
}
