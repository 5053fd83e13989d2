#!/bin/bash
# DICOM through the gateway with dcmtk: storescu -> storescp (PACS on the
# core host, port 11112) under the rule's dicom constraint (calling
# US_CART_ICU1, called PACS). The allowed titles store the file intact; a
# foreign calling title is stopped at association time: storescu reports a
# failed association and returns (bounded), and PACS receives nothing. With
# on_violation: reset (port 11114) the same association fails at once: the
# client saw the gateway's RST, not its own timeout, and PACS holds no
# half-open connection. TAP.
. "$(dirname "$0")/../lib/preamble.sh" l7dicom wgd
. "$WG_SRC/tests/e2e/lib/l7.sh"
plan 14

dump2dcm --write-xfer-little "$HERE/sc.dump" "$WORK/sc.dcm" >/dev/null 2>&1 ||
    { not_ok "test image is built"; exit 1; }
l7_up || exit 1

mkdir -p "$WORK/pacs"
l7_bg core "$WORK/storescp.log" timeout 50 storescp -v -aet PACS -od "$WORK/pacs" -B -ta 10 \
    11112
# storescp has no listen address option: it binds every address of its namespace.
l7_wait_port core tcp 11112 || { not_ok "storescp listens" "$(cat "$WORK/storescp.log")"; exit 1; }

# Allowed: the cart's own title, to PACS.
l7_run 20 ip netns exec "${P}cli" storescu -ta 5 -aet US_CART_ICU1 -aec PACS \
    "$TOPO_CORE_IP" 11112 "$WORK/sc.dcm"
check "storescu with the allowed titles succeeds" '[ "$L7_RC" -eq 0 ]' "rc=$L7_RC $L7_OUT"
got=$(ls "$WORK/pacs" | head -1)
# -B keeps the dataset bit for bit; the meta header (group 0002) is PACS's own.
same() { cmp -s <(dcmdump -M +P 0008,0018 +P 7fe0,0010 "$1") <(dcmdump -M +P 0008,0018 +P 7fe0,0010 "$2") &&
    cmp -s <(dcmdump -M "$1" | grep -v '^(0002') <(dcmdump -M "$2" | grep -v '^(0002'); }
check "PACS stored the image intact (dataset and pixel data identical)" \
    '[ -n "$got" ] && same "$WORK/sc.dcm" "$WORK/pacs/$got"' "stored: $(ls "$WORK/pacs")"

# Stopped: a foreign calling title (an infected workstation reusing the port).
rm -f "$WORK/pacs"/*
assoc() { grep -c "Association Received" "$WORK/storescp.log"; }
before=$(assoc)
t0=$(date +%s%N)
l7_run 25 ip netns exec "${P}cli" storescu -ta 5 -to 5 -aet XS_WORKSTN -aec PACS \
    "$TOPO_CORE_IP" 11112 "$WORK/sc.dcm"
drop_ms=$((($(date +%s%N) - t0) / 1000000))
check "storescu with a foreign calling title fails" '[ "$L7_RC" -ne 0 ] && [ "$L7_RC" -ne 124 ]' \
    "rc=$L7_RC $L7_OUT"
check "the failure is at association time" 'echo "$L7_OUT" | grep -qi "association"' "$L7_OUT"
sleep 0.2
check "PACS saw no association and stored nothing" '[ "$(assoc)" -eq "$before" ] &&
    [ -z "$(ls "$WORK/pacs")" ]' "$(tail -5 "$WORK/storescp.log")"

# Stopped: the allowed calling title asking another application entity.
l7_run 25 ip netns exec "${P}cli" echoscu -ta 5 -to 5 -aet US_CART_ICU1 -aec OTHER_AE \
    "$TOPO_CORE_IP" 11112
check "echoscu to a called title outside the list fails (bounded) and PACS sees no association" \
    '[ "$L7_RC" -ne 0 ] && [ "$L7_RC" -ne 124 ] && [ "$(assoc)" -eq "$before" ]' "rc=$L7_RC $L7_OUT"

# on_violation: reset. A second PACS port whose rule resets both ends: the
# client is given 20 s of its own timeouts, so failing well inside them means
# it saw a reset (with drop it would wait them out, as above).
l7_bg core "$WORK/storescp2.log" timeout 40 storescp -aet PACS -od "$WORK/pacs" -ta 30 11114
l7_wait_port core tcp 11114 || { not_ok "second storescp listens"; exit 1; }
l7_run 20 ip netns exec "${P}cli" echoscu -ta 5 -aet US_CART_ICU1 -aec PACS "$TOPO_CORE_IP" 11114
check "echoscu with the allowed titles succeeds on the reset rule's port" '[ "$L7_RC" -eq 0 ]' \
    "rc=$L7_RC $L7_OUT"
t0=$(date +%s%N)
l7_run 30 ip netns exec "${P}cli" echoscu -ta 20 -to 20 -aet XS_WORKSTN -aec PACS \
    "$TOPO_CORE_IP" 11114
reset_ms=$((($(date +%s%N) - t0) / 1000000))
echo "# time to failure, foreign calling title: drop ${drop_ms} ms (client timeouts 5 s)," \
    "reset ${reset_ms} ms (client timeouts 20 s): $(echo "$L7_OUT" | head -1)"
check "with on_violation: reset the association fails at once (a reset, not a timeout)" \
    '[ "$L7_RC" -ne 0 ] && [ "$L7_RC" -ne 124 ] && [ "$reset_ms" -lt 10000 ]' \
    "rc=$L7_RC after ${reset_ms} ms: $L7_OUT"
check "the client reports the reset" 'echo "$L7_OUT" | grep -qiE "reset|refused|closed|abort"' "$L7_OUT"
established() { ip netns exec "${P}core" ss -Htn state established "( sport = :11114 )" | wc -l; }
for _ in $(seq 1 20); do [ "$(established)" -eq 0 ] && break; sleep 0.1; done
check "PACS holds no connection from it (the server got its reset too)" \
    '[ "$(established)" -eq 0 ]' "$(ip netns exec "${P}core" ss -tn)"

# The audit log line an operator reads: rule, reason, protocol and value.
# First the plumbing, with an L4 denial (port 11113 is in no rule).
l7_run 6 ip netns exec "${P}cli" /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 11113 2
l7_audit '"dest_port":11113'
check "an L4 denial reaches the audit log (control plane running)" \
    'echo "$AUDIT" | grep "\"dest_port\":11113" | grep -q "\"reason\":\"default_deny\""' "$AUDIT"
l7_audit 'dicom_called_ae_denied'
line() { echo "$AUDIT" | grep "\"reason\":\"$1\"" | head -1; }
check "the audit names the reason and the calling title" \
    'line dicom_calling_ae_denied | grep "\"l7_protocol\":\"dicom\"" | grep -q "\"l7_value\":\"XS_WORKSTN\""' "$AUDIT"
check "the audit names the called title for the second one" \
    'line dicom_called_ae_denied | grep -q "\"l7_value\":\"OTHER_AE\""' "$AUDIT"
summary
