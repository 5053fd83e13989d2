#!/bin/bash
# The seed incident with real packets: a worm on the ultrasound cart
# (198.18.10.66) SYN-scans port 445 across the subnet as fast as a raw socket
# can send, while the patient monitor streams telemetry to the central
# station. Zero telemetry loss, the cart flagged as a scanner, none of the
# scan's SYNs reaching the core side. TAP.
. "$(dirname "$0")/../lib/preamble.sh" storm wgsm
plan 7

if ! "$TOOL" compile "$HERE/policy" "$WORK/policy.img" 2>"$WORK/compile.err"; then
    notok "policy compiles" "$(cat "$WORK/compile.err")"; exit 1
fi
ok "policy compiles"
if ! topo_up || ! topo_add_ip cli 198.18.10.66/24 || ! topo_start_dataplane --policy-image "$WORK/policy.img"; then
    notok "gateway starts" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with the policy"

COUNT=3000
SCAN=40000
SCAN_RATE=${WG_STORM_RATE:-20000}  # SYN/s: a fast worm; bench/safety finds the ceiling
CORE_MAC=$(ip netns exec "${P}core" cat /sys/class/net/core0/address)
CLI_MAC=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/address)
ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TEL" recv "$TOPO_CORE_IP" 7001 $COUNT 20 >"$WORK/recv.out" 2>&1 &
RCV=$!
TOPO_PIDS+=("$RCV")
ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TEL" sniff core0 445 8 >"$WORK/sniff.out" 2>&1 &
SNF=$!
TOPO_PIDS+=("$SNF")
wait_listening "$WORK/recv.out" "$WORK/sniff.out"
ip netns exec "${P}cli" ping -c 1 -W 1 "$TOPO_CORE_IP" >/dev/null 2>&1  # ARP (essentials)
ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TEL" send "$TOPO_CLI_IP" "$TOPO_CORE_IP" 7001 1000 $COUNT >"$WORK/send.out" 2>&1 &
SND=$!
TOPO_PIDS+=("$SND")
sleep 0.5
ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TEL" scan cli0 "$CLI_MAC" "$CORE_MAC" 198.18.10.66 198.18.10 $SCAN $SCAN_RATE >"$WORK/scan.out" 2>&1
wait "$SND"
wait "$RCV"
wait "$SNF"
res=$(tail -1 "$WORK/recv.out")
got=$(echo "$res" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["distinct"])' 2>/dev/null || echo 0)
scanned=$(tail -1 "$WORK/scan.out")
STATS=$("$TOOL" ctl "$DP_SOCK" stats)
check "zero telemetry loss under a $scanned-SYN scan at $SCAN_RATE/s ($COUNT datagrams)" '[ "$got" = "$COUNT" ]' \
    "$res; ports: $(echo "$STATS" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"])')"
check "the cart is flagged as a scanner (scanners_flagged = 1)" '[ "$(counter scanners_flagged)" = 1 ]' "$(echo "$STATS" | head -c 1500)"
refused=$(( $(counter rate_limited) + $(counter quarantined_drops) ))
check "the scan's new flows are refused by the limiter/quarantine ($refused)" '[ "$refused" -gt $((scanned / 2)) ]' "scanned $scanned refused $refused"
leaked=$(tail -1 "$WORK/sniff.out")
check "no scan SYN reaches the core side" '[ "$leaked" = 0 ]' "leaked=$leaked"
check "telemetry counted as bypassed in the class counters" 'echo "$STATS" | grep -q "bypassed"' "$(echo "$STATS" | head -c 800)"
summary
