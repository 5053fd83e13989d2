#!/bin/bash
# Identity with real traffic (issue 12): a dual-stack infusion pump bound by
# MAC to its IPv4 and IPv6 addresses, behind the gateway (DPDK on
# net_af_packet). 1) The pump's allowed TCP conversation runs over IPv4 and
# IPv6. 2) A host with a foreign MAC injects into the established IPv4
# conversation (right 5-tuple, next sequence number, right ACK): dropped and
# counted as flow_mac_mismatch, and the real conversation completes with
# exactly its own bytes. 3) A foreign MAC taking the pump's IPv6 address is
# the spoofed class: refused and audited as spoofed_binding. Bounded: every
# tool has a timeout. Cleans up namespaces and processes on every exit. TAP.
. "$(dirname "$0")/../lib/preamble.sh" identity wgi
CONV="$HERE/conv.py"
plan 8

PUMP6=2001:2:0:10::11
CORE6=2001:2:0:20::254
FOREIGN_MAC=02:66:66:00:00:01

if ! topo_up; then
    not_ok "topology" ""; exit 1
fi
# IPv6 on the two hosts (topo.sh disables it); nodad: no wait for DAD.
for ns in cli core; do
    ip netns exec "${P}$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
done
ip netns exec "${P}cli" ip -6 addr add "$PUMP6/48" dev cli0 nodad
ip netns exec "${P}core" ip -6 addr add "$CORE6/48" dev core0 nodad
PUMP_MAC=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/address)
CORE_MAC=$(ip netns exec "${P}core" cat /sys/class/net/core0/address)

# The policy: the pump is one device with both addresses, bound to its MAC.
mkdir -p "$WORK/policy"
cp "$HERE/policy/"*.yaml "$WORK/policy/"
cat >"$WORK/policy/inventory.yaml" <<EOF
apiVersion: wardgate/v1
kind: Inventory
hosts:
  - asset_id: PUMP-E2E
    mac: "$PUMP_MAC"
    ip: [198.18.10.11, "$PUMP6"]
    class: infusion-pump
    zone: ICU
    bind_mac_ip: true
EOF
if ! "$CLI" compile "$WORK/policy" -o "$WORK/policy.img" >"$WORK/compile.err" 2>&1; then
    not_ok "dual-stack policy compiles" "$(cat "$WORK/compile.err")"; exit 1
fi
ok "dual-stack policy compiles"
if ! topo_start_dataplane --policy-image "$WORK/policy.img"; then
    not_ok "gateway starts" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with the policy"

# 1. The pump's own conversations, both families.
for dst in "$TOPO_CORE_IP" "$CORE6"; do
    ip netns exec "${P}core" timeout 20 /usr/bin/python3 "$CONV" serve "$dst" 5001 >"$WORK/srv.out" 2>&1 &
    SRV=$!
    TOPO_PIDS+=("$SRV")
    wait_listening "$WORK/srv.out"
    touch "$WORK/go"
    res=$(ip netns exec "${P}cli" timeout 20 /usr/bin/python3 "$CONV" talk "$dst" 5001 "$WORK/go" 2>&1)
    wait "$SRV"
    rm -f "$WORK/go"
    check "the pump's conversation to $dst completes" \
        'echo "$res" | grep -q done && grep -q "received 2000 clean" "$WORK/srv.out"' \
        "$res $(cat "$WORK/srv.out")"
done

# 2. A foreign MAC injects into the established IPv4 conversation.
STATS=$("$TOOL" ctl "$DP_SOCK" stats)
before=$(echo "$STATS" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("flow_mac_mismatch", 0))')
ip netns exec "${P}core" timeout 25 /usr/bin/python3 "$CONV" serve "$TOPO_CORE_IP" 5001 >"$WORK/srv.out" 2>&1 &
SRV=$!
TOPO_PIDS+=("$SRV")
wait_listening "$WORK/srv.out"
ip netns exec "${P}cli" timeout 20 /usr/bin/python3 "$CONV" inject cli0 "$FOREIGN_MAC" \
    198.18.10.11 "$TOPO_CORE_IP" 5001 "$WORK/go" >"$WORK/inj.out" 2>&1 &
INJ=$!
TOPO_PIDS+=("$INJ")
for _ in $(seq 1 50); do grep -q sniffing "$WORK/inj.out" && break; sleep 0.1; done
res=$(ip netns exec "${P}cli" timeout 20 /usr/bin/python3 "$CONV" talk "$TOPO_CORE_IP" 5001 "$WORK/go" 2>&1)
wait "$INJ"
wait "$SRV"
check "the injector saw the conversation and sent 3 forged segments" \
    'grep -q "injected 3" "$WORK/inj.out"' "$(cat "$WORK/inj.out")"
check "the real conversation continues and the server gets only its bytes" \
    'echo "$res" | grep -q done && grep -q "received 2000 clean" "$WORK/srv.out"' \
    "$res $(cat "$WORK/srv.out")"
STATS=$("$TOOL" ctl "$DP_SOCK" stats)
after=$(echo "$STATS" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("flow_mac_mismatch", 0))')
check "the forged segments are dropped and counted as flow_mac_mismatch" \
    '[ $((after - before)) -eq 3 ]' "before=$before after=$after"

# 3. A foreign MAC taking the pump's IPv6 address: refused (spoofed class).
"$TOOL" ctl "$DP_SOCK" audit >/dev/null 2>&1 # drain what came before
ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$CONV" syn cli0 "$FOREIGN_MAC" "$CORE_MAC" \
    "$PUMP6" "$CORE6" 5001 3 >"$WORK/syn.out" 2>&1
sleep 0.5
aud=$("$TOOL" ctl "$DP_SOCK" audit)
n=$(echo "$aud" | /usr/bin/python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
# reason 10 = spoofed_binding; class 2 = quarantine (ids: unknown, infusion-pump, quarantine)
print(sum(1 for e in ev if e["reason"] == 10 and e["dport"] == 5001 and e["src_class"] == 2))')
check "a foreign MAC with the pump's IPv6 address is the spoofed class: denied, audited" \
    '[ "$n" -ge 1 ]' "$(cat "$WORK/syn.out") $aud"
summary
