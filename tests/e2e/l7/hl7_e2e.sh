#!/bin/bash
# HL7 v2 over MLLP through the gateway: python3-hl7's mllp_send (a real MLLP
# client) -> a small MLLP receiver on the core host (port 2575) under the
# rule's hl7 constraint (MSH-3 BEDVIEW, message type ORU^R01). The allowed
# ORU^R01 is delivered and ACKed; the same message from another sending
# application, and an SSH banner on 2575, never reach the receiver. TAP.
. "$(dirname "$0")/../lib/preamble.sh" l7hl7 wgh
. "$WG_SRC/tests/e2e/lib/l7.sh"
plan 8
MLLP="$HERE/mllp.py"

l7_up || exit 1
l7_bg core "$WORK/listener.out" timeout 40 /usr/bin/python3 "$MLLP" listen "$TOPO_CORE_IP" 2575 \
    "$WORK/received.log" 35
wait_listening "$WORK/listener.out" || { not_ok "MLLP receiver listens" "$(cat "$WORK/listener.out")"; exit 1; }
touch "$WORK/received.log"

# Allowed: ORU^R01 from BEDVIEW (the file uses \r segment ends, as HL7 does).
l7_run 15 ip netns exec "${P}cli" mllp_send --loose -f "$HERE/oru_r01.hl7" -p 2575 "$TOPO_CORE_IP"
check "mllp_send of the allowed ORU^R01 gets an ACK (MSA|AA)" \
    '[ "$L7_RC" -eq 0 ] && echo "$L7_OUT" | tr "\r" "\n" | grep -q "^MSA|AA|MSG00001"' "rc=$L7_RC $L7_OUT"
check "the receiver got it from BEDVIEW" 'grep -q "^MSG BEDVIEW ORU^R01" "$WORK/received.log"' \
    "$(cat "$WORK/received.log")"

# Stopped: the same message from another sending application.
sed 's/|BEDVIEW|/|EVILAPP|/; s/MSG00001/MSG00002/' "$HERE/oru_r01.hl7" >"$WORK/evil.hl7"
l7_run 8 ip netns exec "${P}cli" mllp_send --loose -f "$WORK/evil.hl7" -p 2575 "$TOPO_CORE_IP"
check "mllp_send from another MSH-3 gets no ACK" '[ "$L7_RC" -ne 0 ] && ! echo "$L7_OUT" | grep -q "MSA"' \
    "rc=$L7_RC $L7_OUT"

# Stopped: an SSH client's banner on the HL7 port (not MLLP at all).
l7_run 8 ip netns exec "${P}cli" /usr/bin/python3 "$MLLP" raw "$TOPO_CORE_IP" 2575 \
    'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n' 4
check "an SSH banner on 2575 gets no answer" '[ "$L7_RC" -ne 0 ]' "rc=$L7_RC $L7_OUT"
sleep 0.3
check "the receiver saw neither" '! grep -q -e EVILAPP -e "^RAW" "$WORK/received.log"' \
    "$(cat "$WORK/received.log")"

l7_audit 'hl7_not_mllp'
line() { echo "$AUDIT" | grep "\"reason\":\"$1\"" | head -1; }
check "the audit names the reason and the sending application" \
    'line hl7_sending_application_denied | grep "\"l7_protocol\":\"hl7\"" | grep -q "\"l7_value\":\"EVILAPP\""' "$AUDIT"
check "the audit names the banner as not MLLP" \
    'line hl7_not_mllp | grep -q "\"l7_value\":\"SSH-2.0"' "$AUDIT"
summary
