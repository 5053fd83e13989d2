#!/bin/bash
# Failure mode 5, worker stall, with real packets: the monitor streams
# telemetry through the gateway (DPDK on net_af_packet) while a test hook
# hangs the worker for 1.5 s holding a burst. The watchdog must notice,
# forward the worker's queues in pure bypass, hand them back when the
# heartbeat resumes, and not lose one telemetry datagram (without it the
# af_packet ring, 512 frames, would overflow). TAP.
. "$(dirname "$0")/../lib/preamble.sh" stall wgst
plan 9

if ! "$TOOL" compile "$HERE/policy" "$WORK/policy.img" 2>"$WORK/compile.err"; then
    notok "policy compiles" "$(cat "$WORK/compile.err")"; exit 1
fi
ok "policy compiles"
if ! topo_up || ! topo_start_dataplane --policy-image "$WORK/policy.img" --test-hooks \
        --stall-timeout-ms 100 --stall-recover-ms 50; then
    notok "gateway starts" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with the policy and the watchdog"

COUNT=3000
ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TEL" recv "$TOPO_CORE_IP" 7001 $COUNT 20 >"$WORK/recv.out" 2>&1 &
RCV=$!
TOPO_PIDS+=("$RCV")
wait_listening "$WORK/recv.out"
ip netns exec "${P}cli" ping -c 1 -W 1 "$TOPO_CORE_IP" >/dev/null 2>&1  # ARP (essentials)
ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TEL" send "$TOPO_CLI_IP" "$TOPO_CORE_IP" 7001 1000 $COUNT >"$WORK/send.out" 2>&1 &
SND=$!
TOPO_PIDS+=("$SND")
sleep 0.8
hook=$("$TOOL" ctl "$DP_SOCK" hook stall-worker 1500 2>&1)
check "stall-worker hook accepted" '[ "$hook" = "1500" ]' "$hook"
wait "$SND"
wait "$RCV"
res=$(tail -1 "$WORK/recv.out")
got=$(echo "$res" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["distinct"])' 2>/dev/null || echo 0)
check "every telemetry datagram arrived during the stall ($COUNT)" '[ "$got" = "$COUNT" ]' "$res"

STATS=$("$TOOL" ctl "$DP_SOCK" stats)
check "the stall was detected (worker_stalls, test_stalls_injected)" \
    '[ "$(counter worker_stalls)" -ge 1 ] && [ "$(counter test_stalls_injected)" = 1 ]' "$(echo "$STATS" | head -c 1500)"
check "the watchdog forwarded in pure bypass meanwhile (stall_bypass_forwarded)" \
    '[ "$(counter stall_bypass_forwarded)" -gt 0 ]' "$(counter stall_bypass_forwarded)"
check "the worker recovered its queues (worker_recoveries, gauge worker_stalled = 0)" \
    '[ "$(counter worker_recoveries)" -ge 1 ] && [ "$(gauge worker_stalled)" = 0 ]' "$(counter worker_recoveries) $(gauge worker_stalled)"
check "stall and recovery are logged" 'grep -q "worker 0 stalled" "$WORK/dp.log" && grep -q "worker 0 recovered" "$WORK/dp.log"' "$(tail -5 "$WORK/dp.log")"

# After recovery the policy is enforced again: the monitor may not open SSH.
ip netns exec "${P}core" timeout 10 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 2222 6 >"$WORK/srv.out" 2>&1 &
SRV=$!
TOPO_PIDS+=("$SRV")
wait_listening "$WORK/srv.out"
conn=$(ip netns exec "${P}cli" timeout 5 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 2222 3 2>&1)
check "after recovery the policy is enforced again (denied TCP fails)" 'echo "$conn" | grep -q "^failed"' "$conn"
wait "$SRV" 2>/dev/null
summary
