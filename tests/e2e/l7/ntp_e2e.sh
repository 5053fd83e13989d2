#!/bin/bash
# NTP through the gateway with ntpsec: ntpd on the core host (its own config:
# orphan mode, so it serves time at stratum 8 within seconds with no upstream;
# `disable ntp`/`disable kernel`, so it never adjusts the machine's clock;
# queries from the test subnet allowed) under the rule's `ntp: {modes: [3]}`. ntpdig (mode 3)
# gets the time; ntpq -c rv (mode 6, control) gets no answer. TAP.
. "$(dirname "$0")/../lib/preamble.sh" l7ntp wgn
. "$WG_SRC/tests/e2e/lib/l7.sh"
plan 5

cat >"$WORK/ntp.conf" <<CONF
tos orphan 8 orphanwait 1
restrict default
restrict 198.18.10.0 mask 255.255.255.0
disable ntp
disable kernel
disable stats
CONF

l7_up || exit 1
l7_bg core "$WORK/ntpd.log" timeout 50 ntpd -n -c "$WORK/ntp.conf" -p "$WORK/ntpd.pid"
l7_wait_port core udp 123 || { not_ok "ntpd listens" "$(tail -5 "$WORK/ntpd.log")"; exit 1; }

# Mode 3: ntpd leaves orphan-wait after about a second; until then ntpdig
# drops its unsynchronised answers, so ask again (at most 15 times).
for i in $(seq 1 15); do
    l7_run 5 ip netns exec "${P}cli" ntpdig -t 1 "$TOPO_CORE_IP"
    [ "$L7_RC" -eq 0 ] && break
    sleep 1
done
check "ntpdig (mode 3) gets the time through the gateway" \
    '[ "$L7_RC" -eq 0 ] && echo "$L7_OUT" | grep -q " s8 "' "rc=$L7_RC $L7_OUT"

# Mode 6: ntpq's read-variables request; ntpd would answer it (restrict default).
l7_run 10 ip netns exec "${P}cli" ntpq -n -c "timeout 1000" -c rv "$TOPO_CORE_IP"
check "ntpq -c rv (mode 6) gets no answer" '! echo "$L7_OUT" | grep -q "version="' "rc=$L7_RC $L7_OUT"
check "ntpq reports the timeout (it did not hang)" \
    '[ "$L7_RC" -ne 124 ] && echo "$L7_OUT" | grep -qi "timed out"' "rc=$L7_RC $L7_OUT"

l7_audit 'ntp_mode_denied'
check "the audit names the reason and the mode" \
    'echo "$AUDIT" | grep "\"reason\":\"ntp_mode_denied\"" | grep "\"l7_protocol\":\"ntp\"" | grep -q "\"l7_value\":\"6\""' "$AUDIT"
summary
