// Built when the tree has no pipeline bench hook yet (dataplane/pipeline.hpp):
// the suites say exactly what was not measured and why, so the report can
// state it instead of showing numbers that do not exist.
#include "suites.hpp"

namespace wg::bench {
namespace {
nlohmann::json absent(const char* what) {
    return {{"status", "not_measured"},
            {"reason", std::string("dataplane/pipeline.hpp (the fast path's in-process bench hook) "
                                   "was not in the tree when wg-bench-dp was built, so ") +
                           what + " could not be measured"}};
}
}  // namespace

nlohmann::json suite_pipeline(const SuiteContext&) {
    return absent("the pipeline matrix");
}
nlohmann::json suite_flowmem(const SuiteContext&) {
    return absent("flow-table memory");
}
nlohmann::json suite_reload(const SuiteContext&) {
    return absent("policy reload");
}
nlohmann::json suite_l7(const SuiteContext&) {
    return absent("protocol inspection");
}
nlohmann::json suite_staged(const SuiteContext&) {
    return absent("the staged policy's cost");
}

}  // namespace wg::bench
