#include "l7/constraint.hpp"

namespace wg::l7 {

Protocol protocol_of(const Constraint& c) {
    switch (c.index()) {
        case 0:
            return Protocol::Dicom;
        case 1:
            return Protocol::Hl7;
        case 2:
            return Protocol::Smb;
        default:
            return Protocol::Ntp;
    }
}

namespace {

Decision deny(Reason r, std::string_view v) {
    Decision d;
    d.reason = r;
    d.value.set(v);
    return d;
}

}  // namespace

Decision check(const DicomConstraint& c, const DicomAssociateRq& f) {
    if (!c.calling_ae_titles.matches(f.calling.view()))
        return deny(Reason::DicomCallingAeDenied, f.calling.view());
    if (!c.called_ae_titles.matches(f.called.view()))
        return deny(Reason::DicomCalledAeDenied, f.called.view());
    return {};
}

Decision check(const Hl7Constraint& c, const Hl7Message& f) {
    if (!c.sending_applications.matches(f.sending_application.view()))
        return deny(Reason::Hl7SendingAppDenied, f.sending_application.view());
    if (!c.sending_facilities.matches(f.sending_facility.view()))
        return deny(Reason::Hl7SendingFacilityDenied, f.sending_facility.view());
    if (!c.message_types.matches(f.message_type.view()))
        return deny(Reason::Hl7MessageTypeDenied, f.message_type.view());
    return {};
}

Decision check(const SmbConstraint& c, const SmbMessage& f) {
    if (!c.deny_smbv1 || f.kind != SmbKind::Smb1) return {};
    Decision d;
    if (f.smb1_command != kSmb1Negotiate) {
        d.reason = Reason::Smb1Command;
        d.value.set_hex(f.smb1_command);
    } else if (!f.offers_smb2) {
        d.reason = Reason::Smb1NegotiateNoSmb2;
        d.value = f.dialects;
    }
    return d;
}

Decision check(const NtpConstraint& c, const NtpPacket& f) {
    if (c.allowed_modes & (1u << f.mode)) return {};
    Decision d;
    d.reason = Reason::NtpModeDenied;
    d.value.set_uint(f.mode);
    return d;
}

namespace {

void summarize(const DicomAssociateRq& f, AuditValue& s) {
    s.set(std::string_view("calling="));
    s.append(f.calling.view());
    s.append(std::string_view(" called="));
    s.append(f.called.view());
}
void summarize(const Hl7Message& f, AuditValue& s) {
    s.set(std::string_view("msh3="));
    s.append(f.sending_application.view());
    s.append(std::string_view(" msh4="));
    s.append(f.sending_facility.view());
    s.append(std::string_view(" msh9="));
    s.append(f.message_type.view());
}
void summarize(const SmbMessage& f, AuditValue& s) {
    if (f.kind == SmbKind::Smb2) {
        s.set(std::string_view("smb2 command="));
        s.append(std::string_view(f.smb2_command == 0 ? "negotiate" : "other"));
        return;
    }
    AuditValue cmd;
    cmd.set_hex(f.smb1_command);
    s.set(std::string_view("smb1 command="));
    s.append(cmd.view());
    if (f.smb1_command == kSmb1Negotiate) {
        s.append(std::string_view(" dialects="));
        s.append(f.dialects.view());
    }
}
void summarize(const NtpPacket& f, AuditValue& s) {
    AuditValue m, v;
    m.set_uint(f.mode);
    v.set_uint(f.version);
    s.set(std::string_view("mode="));
    s.append(m.view());
    s.append(std::string_view(" version="));
    s.append(v.view());
}

template <typename C, typename Fields>
Verdict finish(const C& c, const Result<Fields>& r, AuditValue* summary) {
    Verdict v;
    v.status = r.status;
    v.need = r.need;
    v.reason = r.reason;
    if (r.status != Status::Ok) {
        // The value means something only on a violation: no 65-byte copy otherwise.
        if (r.status == Status::Violation) v.value = r.value;
        return v;
    }
    if (summary) summarize(r.fields, *summary);
    Decision d = check(c, r.fields);
    if (!d.allowed()) {
        v.status = Status::Violation;
        v.reason = d.reason;
        v.value = d.value;
    }
    return v;
}

}  // namespace

Verdict inspect(const Constraint& c, Bytes prefix, AuditValue* summary) {
    switch (c.index()) {
        case 0:
            return finish(*std::get_if<DicomConstraint>(&c), parse_dicom(prefix), summary);
        case 1:
            return finish(*std::get_if<Hl7Constraint>(&c), parse_hl7(prefix), summary);
        case 2:
            return finish(*std::get_if<SmbConstraint>(&c), parse_smb(prefix), summary);
        default:
            return finish(*std::get_if<NtpConstraint>(&c), parse_ntp(prefix), summary);
    }
}

std::string build(const DicomConstraintSpec& spec, DicomConstraint& out) {
    if (auto e = build_patterns(spec.calling_ae_titles, out.calling_ae_titles, "calling_ae_titles");
        !e.empty())
        return e;
    return build_patterns(spec.called_ae_titles, out.called_ae_titles, "called_ae_titles");
}

std::string build(const Hl7ConstraintSpec& spec, Hl7Constraint& out) {
    if (auto e = build_patterns(spec.sending_applications, out.sending_applications,
                                "sending_applications");
        !e.empty())
        return e;
    if (auto e =
            build_patterns(spec.sending_facilities, out.sending_facilities, "sending_facilities");
        !e.empty())
        return e;
    return build_patterns(spec.message_types, out.message_types, "message_types");
}

std::string build(const NtpConstraintSpec& spec, NtpConstraint& out) {
    out.allowed_modes = 0;
    for (int m : spec.modes) {
        if (m < 0 || m > 7) return "modes: " + std::to_string(m) + " is not an NTP mode (0-7)";
        out.allowed_modes |= static_cast<uint8_t>(1u << m);
    }
    return {};
}

}  // namespace wg::l7
