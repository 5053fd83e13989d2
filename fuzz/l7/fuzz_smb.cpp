// libFuzzer harness: SMB (NetBIOS session, SMB1 NEGOTIATE dialects, SMB2) + deny_smbv1.
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const wg::l7::Constraint c = wg::l7::SmbConstraint{true};
    auto r = wg::l7::parse_smb(wg::l7::Bytes(data, size));
    l7fuzz::check_value(r.fields.dialects);
    l7fuzz::check_constraint(c, data, size);
    return 0;
}
