#!/bin/bash
# End to end enforcement: clinical host <-> gateway (DPDK on net_af_packet)
# <-> core host, with a compiled policy. An allowed TCP connection succeeds,
# a denied one fails, ping follows the policy, and the gateway's counters and
# audit agree. Cleans up its namespaces and processes even on failure. TAP.
. "$(dirname "$0")/../lib/preamble.sh" enforce wge
plan 11

if ! "$TOOL" compile "$HERE/policy" "$WORK/policy.img" 2>"$WORK/compile.err"; then
    not_ok "policy compiles" "$(cat "$WORK/compile.err")"; exit 1
fi
ok "policy compiles"

DENIED_IP=198.18.10.253
if ! topo_up || ! topo_add_ip core "$DENIED_IP/24" || ! topo_start_dataplane --policy-image "$WORK/policy.img"; then
    not_ok "gateway starts with the policy" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
st=$("$TOOL" ctl "$DP_SOCK" status)
check "gateway starts with the policy (generation 1)" 'echo "$st" | grep -q "\"generation\":1"' "$st"

out=$(ip netns exec "${P}cli" ping -n -c 5 -i 0.2 -W 1 "$TOPO_CORE_IP" 2>&1)
check "ping to the management server (allowed) gets replies" 'echo "$out" | grep -q " 0% packet loss"' "$out"
out=$(ip netns exec "${P}cli" ping -n -c 3 -i 0.2 -W 1 "$DENIED_IP" 2>&1)
check "ping to another server (denied) gets none" 'echo "$out" | grep -q " 100% packet loss"' "$out"

# Allowed: TCP 5001 to the management server, with data both ways checked.
ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TCP" serve "$TOPO_CORE_IP" 5001 >"$WORK/srv.out" 2>&1 &
SRV=$!
TOPO_PIDS+=("$SRV")
wait_listening "$WORK/srv.out"
sent=$(ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TCP" send "$TOPO_CORE_IP" 5001 1000000 2>&1)
wait "$SRV"
got=$(tail -1 "$WORK/srv.out")
check "allowed TCP connection (port 5001) transfers 1 MB intact" '[ -n "$sent" ] && [ "$sent" = "$got" ]' "sent=$sent got=$got"

# Denied: a listener on 5002 exists, but the gateway drops the SYNs.
ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5002 12 >"$WORK/srv2.out" 2>&1 &
SRV2=$!
TOPO_PIDS+=("$SRV2")
wait_listening "$WORK/srv2.out"
res=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5002 3 2>&1)
check "denied TCP connection (port 5002) fails" 'echo "$res" | grep -q "^failed"' "$res"
check "the server never saw the denied connection" '! grep -q accepted "$WORK/srv2.out"' "$(cat "$WORK/srv2.out")"
stop_pid "$SRV2"

# Reloads under traffic: five policy loads while pings flow every 10 ms;
# none may be lost (publication is atomic, workers never wait).
ip netns exec "${P}cli" ping -n -c 300 -i 0.01 -W 1 "$TOPO_CORE_IP" >"$WORK/ping.out" 2>&1 &
PING=$!
TOPO_PIDS+=("$PING")
sleep 0.3
reloads=0
for i in 1 2 3 4 5; do
    "$TOOL" ctl "$DP_SOCK" load "$WORK/policy.img" >>"$WORK/reload.out" 2>&1 && reloads=$((reloads + 1))
    sleep 0.3
done
wait "$PING"
check "5 reloads under traffic accepted" '[ "$reloads" -eq 5 ]' "$(cat "$WORK/reload.out")"
check "no ping lost across the reloads" 'grep -q " 0% packet loss" "$WORK/ping.out"' "$(tail -3 "$WORK/ping.out")"

stats=$("$TOOL" ctl "$DP_SOCK" stats)
dd=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("default_deny", 0))')
check "denied packets are counted as default_deny" '[ "$dd" -ge 4 ]' "default_deny=$dd"
aud=$("$TOOL" ctl "$DP_SOCK" audit)
na=$(echo "$aud" | /usr/bin/python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
print(sum(1 for e in ev if (e["proto"] == 6 and e["dport"] == 5002) or e["proto"] == 1))')
check "denials are audited (TCP 5002 and ICMP)" '[ "$na" -ge 2 ]' "$aud"
summary
