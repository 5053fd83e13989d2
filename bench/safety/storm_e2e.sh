#!/bin/bash
# bench/safety/storm_e2e.sh [RATES...]   (root; network namespaces only)
#
# The seed incident with real packets through the real binary (DPDK on
# net_af_packet between namespaces, tools/topo.sh): in one run, for
# each phase, the patient monitor streams 2000 telemetry datagrams at 1000/s
# to the central station and the receiver measures one-way latency (sender's
# CLOCK_MONOTONIC stamp; one host). Phase "baseline" has no storm; each
# further phase adds the cart's SYN scan of port 445 at RATE SYN/s. Reports
# p50/p99 per phase, the ratio to the baseline, the telemetry loss, and the
# largest rate with zero loss and p99 within 2x of the baseline ("absorbed").
# Prints a table and one JSON line. Timings are reported, never asserted.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
WG_SRC=${WG_SRC:-$(cd "$HERE/../.." && pwd)}
WG_BUILD=${WG_BUILD:-$WG_SRC/build}
RATES=("$@")
[ ${#RATES[@]} -eq 0 ] && RATES=(5000 20000 50000 100000 200000)
WORK=$(mktemp -d /tmp/wg-bench-storm.XXXXXX)
P="wgbs$$-"
. "$WG_SRC/tools/topo.sh"
cleanup() { topo_down; rm -rf "$WORK"; }
trap cleanup EXIT
TEL="$WG_SRC/tools/telemetry.py"
TOOL="$WG_BUILD/tools/pcap-tool"

"$TOOL" compile "$WG_SRC/tests/e2e/safety/policy" "$WORK/policy.img" || exit 1
topo_up && topo_add_ip cli 198.18.10.66/24 || exit 1
topo_start_dataplane --policy-image "$WORK/policy.img" || { cat "$WORK/dp.log"; exit 1; }
CORE_MAC=$(ip netns exec "${P}core" cat /sys/class/net/core0/address)
CLI_MAC=$(ip netns exec "${P}cli" cat /sys/class/net/cli0/address)
ip netns exec "${P}cli" ping -c 1 -W 1 "$TOPO_CORE_IP" >/dev/null 2>&1

phase() { # rate (0 = no storm) -> JSON line of the receiver
    local rate=$1 port=$((7001 + ${2:-0}))
    ip netns exec "${P}core" timeout 30 /usr/bin/python3 "$TEL" recv "$TOPO_CORE_IP" $port 2000 8 >"$WORK/recv.out" 2>&1 &
    local rcv=$!
    for i in $(seq 50); do grep -q listening "$WORK/recv.out" && break; sleep 0.1; done
    ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TEL" send "$TOPO_CLI_IP" "$TOPO_CORE_IP" $port 1000 2000 >/dev/null 2>&1 &
    local snd=$!
    if [ "$rate" -gt 0 ]; then
        # The scan lasts as long as the stream (2 s) at the asked rate.
        ip netns exec "${P}cli" timeout 30 /usr/bin/python3 "$TEL" scan cli0 "$CLI_MAC" "$CORE_MAC" \
            198.18.10.66 198.18.10 $((rate * 2)) "$rate" >"$WORK/scan.out" 2>&1
    fi
    wait $snd
    wait $rcv
    tail -1 "$WORK/recv.out"
}

declare -A RES
RES[baseline]=$(phase 0 0)
k=1
for r in "${RATES[@]}"; do
    RES[$r]=$(phase "$r" $k)
    k=$((k + 1))
done
RES[baseline_after]=$(phase 0 $k)
STATS=$("$TOOL" ctl "$DP_SOCK" stats)

/usr/bin/python3 - "$STATS" "${RATES[@]}" <<PY
import json, sys
stats = json.loads(sys.argv[1])
rates = [int(r) for r in sys.argv[2:]]
res = {"baseline": json.loads('''${RES[baseline]}'''), "baseline_after": json.loads('''${RES[baseline_after]}''')}
$(for r in "${RATES[@]}"; do echo "res[$r] = json.loads('''${RES[$r]}''')"; done)
base = res["baseline"]
print(f"{'phase':>16} {'recv':>6} {'p50 us':>8} {'p99 us':>8} {'max us':>9} {'p99 ratio':>9}")
absorbed = 0
rows = []
for key in ["baseline"] + rates + ["baseline_after"]:
    r = res[key]
    ratio = r["lat_p99_us"] / base["lat_p99_us"] if r.get("lat_p99_us") and base.get("lat_p99_us") else None
    print(f"{str(key):>16} {r['distinct']:>6} {r['lat_p50_us']!s:>8} {r['lat_p99_us']!s:>8} "
          f"{r['lat_max_us']!s:>9} {ratio if ratio is None else round(ratio, 2)!s:>9}")
    rows.append({"phase": key, **r, "p99_ratio": ratio})
    if isinstance(key, int) and r["distinct"] == 2000 and ratio is not None and ratio <= 2.0:
        absorbed = max(absorbed, key)
c = stats["counters"]
print(f"largest scan rate absorbed (zero loss, p99 within 2x): {absorbed} SYN/s; "
      f"scanners_flagged {c.get('scanners_flagged', 0)}, rate_limited {c.get('rate_limited', 0)}, "
      f"quarantined_drops {c.get('quarantined_drops', 0)}; clinical rx_missed not exported by pcap-tool")
print(json.dumps({"phases": rows, "max_absorbed_syn_per_sec": absorbed, "counters": c}))
PY
