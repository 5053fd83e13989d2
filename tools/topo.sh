# Shared network-namespace topology for end-to-end tests, benchmarks and the
# demo: clinical host <-> gateway <-> core host, one L2 segment through the
# gateway (wardgate is a transparent bridge).
#
#   ${P}cli  [cli0] ---veth--- [gwc0]  ${P}gw  [gwk0] ---veth--- [core0]  ${P}core
#   198.18.10.11/24 (+ extra device IPs)             198.18.10.254/24 (+ servers)
#
# Source this file, set P (a short unique prefix, e.g. "wgb$$-"), call
# topo_up, and register `trap topo_down EXIT`. Only 198.18.0.0/15 is used.
# Offloads are off on every veth end: af_packet's 2 KiB frames cannot carry
# GSO super-packets, and CHECKSUM_PARTIAL packets would leave with bad sums.

: "${P:?set P to a unique namespace prefix}"
TOPO_CLI_IP=${TOPO_CLI_IP:-198.18.10.11}
TOPO_CORE_IP=${TOPO_CORE_IP:-198.18.10.254}
TOPO_PIDS=()

_offloads_off() { # ns dev
    ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

topo_up() {
    ip netns add "${P}cli"
    ip netns add "${P}gw"
    ip netns add "${P}core"
    ip link add cli0 netns "${P}cli" type veth peer name gwc0 netns "${P}gw"
    ip link add core0 netns "${P}core" type veth peer name gwk0 netns "${P}gw"
    for ns in cli gw core; do
        ip netns exec "${P}${ns}" ip link set lo up
        ip netns exec "${P}${ns}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
    done
    ip netns exec "${P}cli" ip addr add "${TOPO_CLI_IP}/24" dev cli0
    ip netns exec "${P}core" ip addr add "${TOPO_CORE_IP}/24" dev core0
    ip netns exec "${P}cli" ip link set cli0 up
    ip netns exec "${P}core" ip link set core0 up
    ip netns exec "${P}gw" ip link set gwc0 up promisc on
    ip netns exec "${P}gw" ip link set gwk0 up promisc on
    _offloads_off "${P}cli" cli0
    _offloads_off "${P}core" core0
    _offloads_off "${P}gw" gwc0
    _offloads_off "${P}gw" gwk0
}

# Extra addresses on a host (other devices of the same side).
topo_add_ip() { # cli|core ip/len
    local dev=cli0
    [ "$1" = core ] && dev=core0
    ip netns exec "${P}$1" ip addr add "$2" dev "$dev"
}

# Starts the dataplane in the gateway namespace on net_af_packet; extra
# dataplane options follow. Sets DP_PID and DP_SOCK; log in $WORK/dp.log.
# Several workers (tests/e2e/multiworker): TOPO_LCORES (EAL --lcores, e.g.
# '(0-2)@(0-1)': main + 2 workers floating on 2 CPUs), TOPO_QPAIRS (queues
# per port, one per worker) and TOPO_AF_ARGS (more af_packet devargs).
topo_start_dataplane() {
    DP_SOCK="$WORK/dp.sock"
    local cores=(-l 0) af="qpairs=${TOPO_QPAIRS:-1}${TOPO_AF_ARGS:+,$TOPO_AF_ARGS}"
    [ -n "${TOPO_LCORES:-}" ] && cores=(--lcores "$TOPO_LCORES")
    ip netns exec "${P}gw" "$WG_BUILD/dataplane/wardgate-dataplane" \
        --no-huge -m 256 --no-pci --no-shconf --no-telemetry --file-prefix "${P}dp" "${cores[@]}" \
        --vdev "net_af_packet0,iface=gwc0,$af" --vdev "net_af_packet1,iface=gwk0,$af" \
        --log-level="lib.*:4" \
        -- --clinical net_af_packet0 --core net_af_packet1 --socket "$DP_SOCK" --mbufs 4095 "$@" \
        >"$WORK/dp.log" 2>&1 &
    DP_PID=$!
    TOPO_PIDS+=("$DP_PID")
    local i
    for i in $(seq 1 100); do
        [ -S "$DP_SOCK" ] && grep -q "bridging" "$WORK/dp.log" && return 0
        kill -0 "$DP_PID" 2>/dev/null || { cat "$WORK/dp.log" >&2; return 1; }
        sleep 0.1
    done
    cat "$WORK/dp.log" >&2
    return 1
}

# Waits (at most 5 s) until each FILE holds "listening": the traffic tools
# (tcp_transfer.py, telemetry.py) print it once their socket is bound.
wait_listening() { # file...
    local i f all
    for i in $(seq 1 50); do
        all=1
        for f in "$@"; do grep -q listening "$f" 2>/dev/null || all=0; done
        [ "$all" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# Stops a process we started, by PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

topo_down() {
    local pid
    for pid in "${TOPO_PIDS[@]}"; do stop_pid "$pid"; done
    TOPO_PIDS=()
    for ns in cli gw core; do ip netns del "${P}${ns}" 2>/dev/null || true; done
}

# Fetches http://ADDR/metrics from inside a namespace (the control plane
# listens in the gateway namespace's loopback).
metrics_get() { # ns addr
    ip netns exec "$1" /usr/bin/python3 -c 'import sys,urllib.request;sys.stdout.write(urllib.request.urlopen("http://"+sys.argv[1]+"/metrics",timeout=5).read().decode())' "$2"
}
