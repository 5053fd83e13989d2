// libFuzzer harness: HL7 v2 / MLLP MSH parser + MSH-3/4/9 constraint.
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const wg::l7::Constraint c = [] {
        wg::l7::Hl7Constraint h;
        wg::l7::build(wg::l7::Hl7ConstraintSpec{std::vector<std::string>{"MONGW", "PUMP*"},
                                                std::vector<std::string>{"ICU3"},
                                                std::vector<std::string>{"ORU^R01", "ACK*"}},
                      h);
        return wg::l7::Constraint{h};
    }();
    auto r = wg::l7::parse_hl7(wg::l7::Bytes(data, size));
    if (r.status == wg::l7::Status::Ok) {
        l7fuzz::require(r.fields.sending_application.len <= wg::l7::kHl7FieldMax);
        l7fuzz::require(r.fields.message_type.len <= wg::l7::kHl7FieldMax);
        l7fuzz::require(r.fields.field_separator != r.fields.component_separator);
    }
    l7fuzz::check_constraint(c, data, size);
    return 0;
}
