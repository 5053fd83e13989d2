# netns-peers drop-in variants for wardgate (sourced by the peers' run.sh from
# a temporary copy of the tool; see bench/run). Started exactly like the
# dpdk_afpacket variant (testpmd io forwarding) so the two differ only in the
# forwarding program: same vdevs, same EAL memory, same mbuf count, same CPU
# layout (main lcore on EP_CPU, the forwarding worker on GW_CPU), same private
# tmpfs on /run so EAL and the management socket leave nothing on the host.
#
# Environment (set by bench/run): WG_DATAPLANE_BIN, optional WG_E2E_POLICY_IMAGE.

# wg_start [QPAIRS LCORES]: one worker by default (main lcore on EP_CPU, the
# worker on GW_CPU, exactly as testpmd); the two-worker variant passes 2 and
# an EAL --lcores map.
wg_start() {
  local img=() qp=${1:-1} cores=(-l $EP_CPU,$GW_CPU --main-lcore $EP_CPU)
  [ -n "${2:-}" ] && cores=(--lcores "$2" --main-lcore 0)
  if [ -n "${WG_E2E_POLICY_IMAGE:-}" ]; then img=(--policy-image "$WG_E2E_POLICY_IMAGE"); fi
  ( ulimit -l unlimited 2>/dev/null || ulimit -l "$(ulimit -H -l)"
    exec ip netns exec $NS_GW unshare -m --propagation private sh -c \
      'mount -t tmpfs wg_run /run && exec "$@"' sh \
      "$WG_DATAPLANE_BIN" --no-huge -m 512 --no-shconf --no-telemetry --no-pci \
        "${cores[@]}" --file-prefix=wg_e2e_$$ \
        --vdev="net_af_packet0,iface=$GW_IF_ICU,qpairs=$qp" \
        --vdev="net_af_packet1,iface=$GW_IF_CORE,qpairs=$qp" -- \
        --clinical net_af_packet0 --core net_af_packet1 \
        --socket /run/wardgate/dataplane.sock --mbufs 8191 "${img[@]}"
  ) < /dev/null > "$VD/gw.log" 2>&1 &
  PIDS+=($!); WG_PID=$!
  local i
  for i in $(seq 100); do
    grep -q "bridging\|enforcing\|forwarding" "$VD/gw.log" 2>/dev/null && { sleep 0.3; return 0; }
    kill -0 $WG_PID 2>/dev/null || { tail -5 "$VD/gw.log" > "$VD/skip.txt"; return 2; }
    sleep 0.2
  done
  echo "wardgate-dataplane did not report readiness in 20 s" > "$VD/skip.txt"
  tail -5 "$VD/gw.log" >> "$VD/skip.txt"
  return 2
}
wg_stop() { kill_pid "${WG_PID:-}" INT; }

gw_start_wardgate() { wg_start; }
gw_stop_wardgate() { wg_stop; }
# Without RPS: the af_packet veths' kernel rx work stays on the sender's CPU,
# the layout the peers measurement found best for a busy-polling gateway.
rps_wardgate_norps=0
gw_start_wardgate_norps() { wg_start; }
gw_stop_wardgate_norps() { wg_stop; }
# Two workers (issue 15 item 6): qpairs=2 on both veths (the kernel's fanout
# hash is symmetric: both directions of a flow reach the same worker), one
# worker on GW_CPU and one on EP_CPU beside the endpoints and the main lcore:
# the machine has two CPUs, so the second worker competes with the traffic
# generators; the row says what two workers give on this machine, not on a
# gateway with a core per worker.
gw_start_wardgate_2w() { wg_start 2 "0@$EP_CPU,1@$GW_CPU,2@$EP_CPU"; }
gw_stop_wardgate_2w() { wg_stop; }
