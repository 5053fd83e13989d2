// wardgate learn --policy DIR (--pcap FILE | --audit FILE)... --out OUT [--patch FILE]:
// proposes the rules that would let the observed traffic through, as a copy
// of the policy directory with the learned rules (and their evidence)
// inserted, ready for a git branch and review (docs/policy-lifecycle.md).
// Nothing is applied: the output is a proposal. --patch writes it as a
// unified diff against DIR too (or only).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "commands.hpp"
#include "lifecycle/audit_input.hpp"
#include "lifecycle/capture.hpp"
#include "lifecycle/learn.hpp"
#include "lifecycle/sides.hpp"
#include "lifecycle/tree_patch.hpp"
#include "policy/compiler.hpp"
#include "policy/loader.hpp"

namespace wg::cli {

int learn(const Args& args, std::ostream& out, std::ostream& err) {
    std::string dir, outdir, live;
    std::vector<std::string> pcaps, audits;
    opt::Table ot(
        "usage: wardgate learn --policy DIR (--pcap FILE | --audit FILE | --live STATE)... --out "
        "OUT");
    ot.str({"--policy"}, "DIR", dir,
           "the current policy (gateway, inventory, classes): who is who, what is allowed");
    ot.add({{"--pcap"},
            "FILE",
            "a capture (pcap or pcapng) of the learning window; repeatable",
            [&pcaps](const std::string& v) -> std::optional<std::string> {
                pcaps.push_back(v);
                return std::nullopt;
            }});
    ot.add({{"--audit"},
            "FILE",
            "the control plane's JSON audit log of a monitor-mode period; repeatable",
            [&audits](const std::string& v) -> std::optional<std::string> {
                audits.push_back(v);
                return std::nullopt;
            }});
    ot.str({"--live"}, "STATE", live,
           "the control plane's state directory: its bounded record of new flows\n"
           "(learned-flows.json, kept from the audit events it drains)");
    ot.str({"--out"}, "OUT", outdir,
           "directory to write the proposal to (a copy of DIR with the learned rules)");
    std::string patch;
    ot.str({"--patch"}, "FILE", patch,
           "also (or, without --out, only) write the proposal as a unified diff\n"
           "against DIR: `git apply FILE` in DIR gives the --out tree");
    std::vector<std::string> pos;
    if (int rc = parse_args(ot, "learn", args, &pos, out, err); rc >= 0) return rc;
    if (!pos.empty() || dir.empty() || (outdir.empty() && patch.empty()) ||
        (pcaps.empty() && audits.empty() && live.empty())) {
        err << "wardgate learn: --policy DIR, --out OUT (or --patch FILE) and at least one "
               "--pcap, --audit or --live expected\n"
            << ot.help();
        return kExitUsage;
    }
    auto r = policy::compile_directory(dir);
    if (!r.policy) {
        for (auto& x : r.diagnostics)
            if (x.severity == policy::Severity::Error) err << policy::format(x) << "\n";
        err << "wardgate learn: the policy in " << dir << " has errors; run wardgate lint\n";
        return kExitFindings;
    }
    std::vector<policy::Diagnostic> diags;
    const auto source = policy::load_directory(dir, diags);
    const auto& p = *r.policy;
    lifecycle::Learner learner(p, source);

    for (const auto& f : pcaps) {
        lifecycle::CaptureReader rd(f);
        if (!rd.ok()) {
            err << "wardgate learn: " << rd.error() << "\n";
            return kExitUsage;
        }
        lifecycle::Replay replay(p, &learner);
        replay.set_verify_l4_checksums(false);  // end-host captures: offloaded checksums
        lifecycle::CapturedPacket pk;
        uint64_t n = 0, skipped = 0;
        while (rd.next(pk)) {
            ++n;
            if (pk.linktype != lifecycle::kLinktypeEthernet) {
                ++skipped;
                continue;
            }
            const auto side = lifecycle::packet_side(rd, pk, p);
            const auto len = uint32_t(pk.data.size());
            // Judged first, so the flow's aggregate exists when its first
            // payload is looked at.
            replay.feed(pk.data.data(), len, pk.wire_len, pk.ts_ns, side);
            learner.observe_frame(pk.data.data(), len, side);
        }
        if (!rd.ok()) {
            err << "wardgate learn: " << f << ": " << rd.error() << "\n";
            return kExitUsage;
        }
        out << f << ": " << n << " packets"
            << (skipped ? ", " + std::to_string(skipped) + " skipped (not Ethernet)" : "") << "\n";
    }
    for (const auto& f : audits) {
        std::ifstream in(f);
        if (!in) {
            err << "wardgate learn: cannot read " << f << "\n";
            return kExitUsage;
        }
        auto st = lifecycle::read_audit(in, p, learner);
        out << f << ": " << st.events << " audit events"
            << (st.skipped ? ", " + std::to_string(st.skipped) + " other lines skipped" : "")
            << "\n";
    }
    if (!live.empty()) {
        uint64_t records = 0, overflow = 0;
        if (auto e = lifecycle::read_live(live, p, learner, records, overflow); !e.empty()) {
            err << "wardgate learn: " << e << "\n";
            return kExitUsage;
        }
        out << live << ": " << records << " flow records"
            << (overflow ? ", " + std::to_string(overflow) + " events over the record's cap" : "")
            << "\n";
    }
    std::string summary;
    // --patch without --out: the tree goes to a scratch directory, removed after.
    std::string scratch;
    if (outdir.empty()) {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "wardgate-learn.XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) {
            err << "wardgate learn: cannot create a scratch directory\n";
            return kExitUsage;
        }
        scratch = tmpl;
        outdir = scratch + "/proposal";
    }
    struct Cleanup {
        std::string d;
        ~Cleanup() {
            std::error_code ec;
            if (!d.empty()) std::filesystem::remove_all(d, ec);
        }
    } cleanup{scratch};
    if (auto e = learner.write(dir, outdir, summary); !e.empty()) {
        err << "wardgate learn: " << e << "\n";
        return kExitFindings;
    }
    if (!patch.empty()) {
        std::string perr;
        const std::string diff = lifecycle::tree_diff(dir, outdir, perr);
        if (!perr.empty()) {
            err << "wardgate learn: " << perr << "\n";
            return kExitFindings;
        }
        std::ofstream pf(patch, std::ios::binary | std::ios::trunc);
        pf << diff;
        pf.close();
        if (!pf) {
            err << "wardgate learn: cannot write " << patch << "\n";
            return kExitUsage;
        }
    }
    out << summary;
    if (scratch.empty()) out << "proposal written to " << outdir;
    if (!patch.empty()) out << (scratch.empty() ? ", " : "") << "patch written to " << patch;
    out << ": review it (git diff" << (patch.empty() ? "" : " / git apply --stat")
        << "), then wardgate lint and wardgate replay it\n";
    return kExitOk;
}

}  // namespace wg::cli
