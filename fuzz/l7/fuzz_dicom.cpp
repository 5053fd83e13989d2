// libFuzzer harness: DICOM A-ASSOCIATE-RQ parser + AE-title constraint.
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const wg::l7::Constraint c = [] {
        wg::l7::DicomConstraint d;
        wg::l7::build(wg::l7::DicomConstraintSpec{std::vector<std::string>{"US_CART_*", "CT1"},
                                                  std::vector<std::string>{"PACS"}},
                      d);
        return wg::l7::Constraint{d};
    }();
    auto r = wg::l7::parse_dicom(wg::l7::Bytes(data, size));
    if (r.status == wg::l7::Status::Ok) {
        l7fuzz::require(r.fields.calling.len > 0 && r.fields.calling.len <= 16);
        l7fuzz::require(r.fields.called.len > 0 && r.fields.called.len <= 16);
    }
    l7fuzz::check_constraint(c, data, size);
    return 0;
}
