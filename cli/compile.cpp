// wardgate compile DIR (-o FILE | --dump): writes the image the control plane would push,
// for offline inspection and for tests that feed the dataplane directly.
#include <fstream>
#include <ostream>

#include "commands.hpp"
#include "policy/compiler.hpp"
#include "policy/dump.hpp"
#include "policy/image.hpp"

namespace wg::cli {

int compile(const Args& args, std::ostream& out, std::ostream& err) {
    std::string file;
    bool dump = false;
    opt::Table ot("usage: wardgate compile DIR (-o FILE | --dump)");
    ot.str({"--output", "-o"}, "FILE", file, "write the compiled image to FILE");
    ot.flag({"--dump"}, dump, "print every compiled table as text");
    std::vector<std::string> pos;
    if (int rc = parse_args(ot, "compile", args, &pos, out, err); rc >= 0) return rc;
    if (pos.size() > 1) {
        err << "wardgate compile: unexpected argument '" << pos[1] << "'\n";
        return kExitUsage;
    }
    if (pos.empty() || (file.empty() && !dump)) {
        err << ot.help();
        return kExitUsage;
    }
    const std::string& dir = pos[0];
    auto r = policy::compile_directory(dir);
    for (auto& d : r.diagnostics) err << policy::format(d) << "\n";
    if (!r.policy) return kExitFindings;
    auto bytes = policy::encode_image(*r.policy);
    if (dump) {
        // Every compiled table as text: what the dataplane will enforce.
        out << policy::dump(*r.policy);
        if (file.empty()) return kExitOk;
    }
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!f.flush()) {
        err << "wardgate compile: cannot write " << file << "\n";
        return kExitFindings;
    }
    out << file << ": " << bytes.size() << " bytes, content " << r.policy->content_hash << "\n";
    return kExitOk;
}

}  // namespace wg::cli
