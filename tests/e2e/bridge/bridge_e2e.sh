#!/bin/bash
# Foundation end to end: real packets through the DPDK dataplane on
# net_af_packet between two namespaced hosts, and /metrics from the control
# plane agreeing with the kernel's own counters of what was sent. TAP output.
. "$(dirname "$0")/../lib/preamble.sh" bridge wgb
plan 6

if ! topo_up || ! topo_start_dataplane; then
    not_ok "gateway starts on net_af_packet" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts on net_af_packet"

# Control plane beside the dataplane, metrics on the gateway's loopback.
ip netns exec "${P}gw" "$CP_BIN" \
    --dataplane "$DP_SOCK" --metrics 127.0.0.1:9470 --poll-ms 200 >"$WORK/cp.log" 2>&1 &
CP_PID=$!
TOPO_PIDS+=("$CP_PID")

out=$(ip netns exec "${P}cli" ping -n -c 50 -i 0.01 -W 1 "$TOPO_CORE_IP" 2>&1)
check "ping crosses the gateway with no loss" 'echo "$out" | grep -q " 0% packet loss"' "$out"

ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TCP" serve "$TOPO_CORE_IP" 5001 >"$WORK/srv.out" 2>&1 &
SRV=$!
wait_listening "$WORK/srv.out"
sent=$(ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TCP" send "$TOPO_CORE_IP" 5001 4000000 2>&1)
wait "$SRV"
got=$(tail -1 "$WORK/srv.out")
check "a 4 MB TCP transfer arrives intact" '[ -n "$sent" ] && [ "$sent" = "$got" ]' "sent=$sent got=$got"

# Quiesce, then compare the dataplane's counters (via the control plane's
# /metrics) with the veth counters of the two hosts.
sleep 0.5
cli_tx=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/statistics/tx_packets)
cli_rx=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/statistics/rx_packets)
core_tx=$(ip netns exec "${P}core" cat /sys/class/net/core0/statistics/tx_packets)
core_rx=$(ip netns exec "${P}core" cat /sys/class/net/core0/statistics/rx_packets)
metric() { echo "$M" | awk -v n="$1" -v l="$2" '$1 == n"{"l"}" || index($1, n"{") == 1 && index($1, l) { print $2; exit }'; }
M=""
for i in $(seq 30); do
    M=$(metrics_get "${P}gw" 127.0.0.1:9470 2>/dev/null)
    v=$(metric wardgate_port_rx_packets_total 'port="clinical"')
    [ -n "$v" ] && [ "${v%.*}" = "$cli_tx" ] && break
    sleep 0.2
done
check "control plane reports the dataplane up" 'echo "$M" | grep -q "^wardgate_dataplane_up 1"' "$(echo "$M" | head -5)"
crx=$(metric wardgate_port_rx_packets_total 'port="clinical"')
ktx=$(metric wardgate_port_tx_packets_total 'port="core"')
check "clinical rx in /metrics equals what the clinical host sent ($cli_tx)" '[ "${crx%.*}" = "$cli_tx" ] && [ "${ktx%.*}" = "$core_rx" ]' \
    "metrics clinical_rx=$crx core_tx=$ktx; veth cli_tx=$cli_tx core_rx=$core_rx"
krx=$(metric wardgate_port_rx_packets_total 'port="core"')
ctx=$(metric wardgate_port_tx_packets_total 'port="clinical"')
check "core rx in /metrics equals what the core host sent ($core_tx)" '[ "${krx%.*}" = "$core_tx" ] && [ "${ctx%.*}" = "$cli_rx" ]' \
    "metrics core_rx=$krx clinical_tx=$ctx; veth core_tx=$core_tx cli_rx=$cli_rx"
summary
