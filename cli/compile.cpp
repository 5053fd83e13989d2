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
    std::string dir, file;
    bool dump = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size())
            file = args[++i];
        else if (args[i] == "--dump")
            dump = true;
        else if (!args[i].starts_with("-") && dir.empty())
            dir = args[i];
        else {
            err << "wardgate compile: unexpected argument '" << args[i] << "'\n";
            return kExitUsage;
        }
    }
    if (dir.empty() || (file.empty() && !dump)) {
        err << "usage: wardgate compile DIR (-o FILE | --dump)\n";
        return kExitUsage;
    }
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
