#!/bin/bash
# The policy lifecycle end to end (docs/policy-lifecycle.md): a pump talks
# to its management server through the gateway in monitor mode while
# tcpdump captures; `wardgate learn` proposes rules from the capture; the
# proposal lints and replays clean; enforcing it lets every observed flow
# through (ping, TCP 5001) and denies a new, unobserved one (TCP 5002).
# Bounded (well under 60 s), cleans up on every exit path. TAP.
. "$(dirname "$0")/../lib/preamble.sh" lifecycle wgl
plan 10

"$TOOL" compile "$HERE/policy" "$WORK/monitor.img" 2>"$WORK/compile.err" || {
    not_ok "monitor policy compiles" "$(cat "$WORK/compile.err")"; exit 1; }
if ! topo_up || ! topo_start_dataplane --policy-image "$WORK/monitor.img"; then
    not_ok "gateway starts in monitor mode" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts in monitor mode"

# The learning window: tcpdump on the pump's side while it works.
ip netns exec "${P}cli" timeout 40 tcpdump -i cli0 -n -U --immediate-mode -w "$WORK/window.pcap" >"$WORK/tcpdump.log" 2>&1 &
DUMP=$!
TOPO_PIDS+=("$DUMP")
for _ in $(seq 1 50); do grep -q "listening" "$WORK/tcpdump.log" && break; sleep 0.1; done
ip netns exec "${P}cli" ping -n -c 3 -i 0.2 -W 1 "$TOPO_CORE_IP" >"$WORK/ping0.out" 2>&1
ip netns exec "${P}core" timeout 20 /usr/bin/python3 "$TCP" serve "$TOPO_CORE_IP" 5001 >"$WORK/srv0.out" 2>&1 &
SRV=$!
TOPO_PIDS+=("$SRV")
wait_listening "$WORK/srv0.out"
ip netns exec "${P}cli" timeout 20 /usr/bin/python3 "$TCP" send "$TOPO_CORE_IP" 5001 100000 >"$WORK/send0.out" 2>&1
wait "$SRV"
# --immediate-mode hands every packet to tcpdump at once (TPACKET_V3
# otherwise holds them in a block that SIGINT discards); a short grace.
sleep 0.5
kill -INT "$DUMP" 2>/dev/null
wait "$DUMP" 2>/dev/null
check "monitor mode: the observed traffic flowed (ping, TCP 5001)" \
    'grep -q " 0% packet loss" "$WORK/ping0.out" && [ "$(cat "$WORK/send0.out")" = "$(tail -1 "$WORK/srv0.out")" ]' \
    "$(cat "$WORK/ping0.out" "$WORK/send0.out" "$WORK/srv0.out" "$WORK/tcpdump.log")"

"$CLI" learn --policy "$HERE/policy" --pcap "$WORK/window.pcap" --out "$WORK/proposal" >"$WORK/learn.out" 2>&1
check "tcpdump captured the window" 'grep -q "packets captured" "$WORK/tcpdump.log"' "$(cat "$WORK/tcpdump.log")"
check "learn proposes rules for the observed flows" \
    'grep -q "learned-tcp-5001-to-pump-mgmt" "$WORK/proposal/classes/infusion-pump.yaml" && grep -q "learned-icmp-to-pump-mgmt" "$WORK/proposal/classes/infusion-pump.yaml"' \
    "$(cat "$WORK/learn.out" "$WORK/proposal/classes/infusion-pump.yaml" 2>/dev/null)"
check "the proposal lints" '"$CLI" lint "$WORK/proposal" >"$WORK/lint.out" 2>&1' "$(cat "$WORK/lint.out")"

# Enforce: the reviewed proposal, switched to enforce mode.
sed -i 's/^mode: monitor/mode: enforce/' "$WORK/proposal/classes/infusion-pump.yaml"
check "replaying the window against the enforcing proposal denies nothing" \
    '"$CLI" replay --policy "$WORK/proposal" "$WORK/window.pcap" >"$WORK/replay.out" 2>&1' \
    "$(cat "$WORK/replay.out")"
"$TOOL" compile "$WORK/proposal" "$WORK/enforce.img" 2>"$WORK/compile2.err" &&
    r=$("$TOOL" ctl "$DP_SOCK" load "$WORK/enforce.img" 2>&1)
check "the enforcing proposal loads" 'echo "$r" | grep -q "\"ok\":true"' "$r $(cat "$WORK/compile2.err")"

out=$(ip netns exec "${P}cli" ping -n -c 3 -i 0.2 -W 1 "$TOPO_CORE_IP" 2>&1)
check "enforced: ping (observed) passes" 'echo "$out" | grep -q " 0% packet loss"' "$out"
ip netns exec "${P}core" timeout 20 /usr/bin/python3 "$TCP" serve "$TOPO_CORE_IP" 5001 >"$WORK/srv1.out" 2>&1 &
SRV=$!
TOPO_PIDS+=("$SRV")
wait_listening "$WORK/srv1.out"
sent=$(ip netns exec "${P}cli" timeout 20 /usr/bin/python3 "$TCP" send "$TOPO_CORE_IP" 5001 100000 2>&1)
wait "$SRV"
got=$(tail -1 "$WORK/srv1.out")
check "enforced: TCP 5001 (observed) transfers intact" '[ -n "$sent" ] && [ "$sent" = "$got" ]' "sent=$sent got=$got"

ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5002 8 >"$WORK/srv2.out" 2>&1 &
SRV2=$!
TOPO_PIDS+=("$SRV2")
wait_listening "$WORK/srv2.out"
res=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5002 3 2>&1)
check "enforced: TCP 5002 (never observed) is denied" \
    'echo "$res" | grep -q "^failed" && ! grep -q accepted "$WORK/srv2.out"' "$res"
stop_pid "$SRV2"
summary
