#!/bin/bash
# The telemetry bypass cannot be borrowed (issue 12), with real traffic on
# net_af_packet: the patient monitor's own waveforms (its inventory MAC and
# IP, clinical port) are bypassed and all arrive; the same IP, group and
# port from a foreign MAC falls through to policy and is denied; the same
# "telemetry" arriving on the core port is not bypassed back toward the
# clinical side (spoofed_side). Bounded (~15 s), unique names, cleanup on
# every exit path (preamble trap). TAP.
. "$(dirname "$0")/../lib/preamble.sh" bypass wgy
plan 10
MON_MAC=02:00:00:0a:10:11
FOREIGN_MAC=02:00:00:0a:66:66
STATION=198.18.10.254
PORT=7001
INJ="$HERE/inject.py"
export WG_SRC

if ! "$TOOL" compile "$HERE/policy" "$WORK/policy.img" 2>"$WORK/compile.err"; then
    not_ok "policy compiles" "$(cat "$WORK/compile.err")"; exit 1
fi
ok "policy compiles"
if ! topo_up || ! ip netns exec "${P}cli" ip link set cli0 address "$MON_MAC" ||
    ! topo_start_dataplane --policy-image "$WORK/policy.img"; then
    not_ok "gateway starts with the policy" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with the policy"
CORE_MAC=$(ip netns exec "${P}core" cat /sys/class/net/core0/address)
CLI_MAC=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/address)
dpstat() { # classes.CLASS.VERDICT | drops.REASON
    "$TOOL" ctl "$DP_SOCK" stats | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
k = sys.argv[1].split(".")
v = s[k[0]].get(k[1], {})
print(v.get(k[2], 0) if len(k) > 2 else (v or 0))' "$1"
}

# 1. The real monitor: kernel UDP from its own MAC and IP, clinical port.
ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TEL" recv "$STATION" "$PORT" 200 8 >"$WORK/rx1" 2>&1 &
RX=$!
TOPO_PIDS+=("$RX")
wait_listening "$WORK/rx1"
ip netns exec "${P}cli" timeout 15 /usr/bin/python3 "$TEL" send "$TOPO_CLI_IP" "$STATION" "$PORT" 1000 200 >/dev/null 2>&1
wait "$RX"
got=$(tail -1 "$WORK/rx1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["distinct"])' 2>/dev/null)
check "the monitor's own telemetry arrives whole (200/200)" '[ "$got" = 200 ]' "$(cat "$WORK/rx1")"
byp=$(dpstat classes.patient-monitor.bypassed)
check "and takes the bypass (patient-monitor bypassed >= 200)" '[ "$byp" -ge 200 ]' "bypassed=$byp"

# 2. Same IP, group and port from a foreign MAC on the clinical port.
dd0=$(dpstat drops.default_deny)
ip netns exec "${P}core" timeout 10 /usr/bin/python3 "$TEL" recv "$STATION" "$PORT" 50 3 >"$WORK/rx2" 2>&1 &
RX=$!
TOPO_PIDS+=("$RX")
wait_listening "$WORK/rx2"
ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$INJ" send cli0 "$FOREIGN_MAC" "$CORE_MAC" "$TOPO_CLI_IP" "$STATION" "$PORT" 50
wait "$RX"
got=$(tail -1 "$WORK/rx2" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])' 2>/dev/null)
check "telemetry from a foreign MAC does not get through (0/50)" '[ "$got" = 0 ]' "$(cat "$WORK/rx2")"
byp2=$(dpstat classes.patient-monitor.bypassed)
check "it is not bypassed" '[ "$byp2" = "$byp" ]' "bypassed before=$byp after=$byp2"
dd1=$(dpstat drops.default_deny)
check "it falls to policy and is denied and counted (default_deny +50)" '[ $((dd1 - dd0)) -ge 50 ]' "default_deny $dd0 -> $dd1"

# 3. The monitor's "telemetry" arriving on the core port, toward the clinical side.
sp0=$(dpstat drops.spoofed_side)
ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$INJ" sniff cli0 "$PORT" 2.5 >"$WORK/sniff" 2>&1 &
SN=$!
TOPO_PIDS+=("$SN")
wait_listening "$WORK/sniff"
ip netns exec "${P}core" timeout 10 /usr/bin/python3 "$INJ" send core0 "$CORE_MAC" "$CLI_MAC" "$TOPO_CLI_IP" "$STATION" "$PORT" 50
wait "$SN"
seen=$(tail -1 "$WORK/sniff")
check "core-side 'telemetry' never reaches the clinical side (0/50)" '[ "$seen" = 0 ]' "$(cat "$WORK/sniff")"
byp3=$(dpstat classes.patient-monitor.bypassed)
check "it is not bypassed" '[ "$byp3" = "$byp" ]' "bypassed before=$byp after=$byp3"
sp1=$(dpstat drops.spoofed_side)
check "it is dropped as spoofed_side (+50)" '[ $((sp1 - sp0)) -ge 50 ]' "spoofed_side $sp0 -> $sp1"
summary
