#include "policy/l7_rule.hpp"

namespace wg::policy {

bool rule_constraint(const ProtocolConstraints& pc, l7::Constraint& out, std::string& err) {
    err.clear();
    const bool dicom = !pc.dicom_calling_ae.empty() || !pc.dicom_called_ae.empty();
    const bool hl7 = !pc.hl7_sending_application.empty() || !pc.hl7_sending_facility.empty() ||
                     !pc.hl7_message_types.empty();
    const bool smb = pc.smb_deny_v1;
    const bool ntp = !pc.ntp_modes.empty();
    const int named = int(dicom) + int(hl7) + int(smb) + int(ntp);
    if (named == 0) return false;
    if (named > 1) {
        err =
            "constraints name more than one protocol (dicom, hl7, smb, ntp); a flow speaks one, "
            "split the rule";
        return false;
    }
    // An empty list in the model means "not restricted": the loader refuses
    // an explicitly empty one (constraint-empty-list), hence nullopt for an
    // empty vector. (The compiled form could say "nothing matches"; no
    // policy can ask for it.)
    auto list = [](const std::vector<std::string>& v) {
        return v.empty() ? std::nullopt : std::optional<std::vector<std::string>>(v);
    };
    if (dicom) {
        l7::DicomConstraintSpec spec{list(pc.dicom_calling_ae), list(pc.dicom_called_ae)};
        l7::DicomConstraint c;
        err = l7::build(spec, c);
        if (!err.empty()) return false;
        out = c;
    } else if (hl7) {
        l7::Hl7ConstraintSpec spec{list(pc.hl7_sending_application), list(pc.hl7_sending_facility),
                                   list(pc.hl7_message_types)};
        l7::Hl7Constraint c;
        err = l7::build(spec, c);
        if (!err.empty()) return false;
        out = c;
    } else if (smb) {
        out = l7::SmbConstraint{true};
    } else {
        l7::NtpConstraintSpec spec;
        for (uint8_t m : pc.ntp_modes) spec.modes.push_back(m);
        l7::NtpConstraint c;
        err = l7::build(spec, c);
        if (!err.empty()) return false;
        out = c;
    }
    return true;
}

}  // namespace wg::policy
