# The common start of an e2e shell test. From the script:
#
#   . "$(dirname "$0")/../lib/preamble.sh" NAME PREFIX
#
# NAME names the work directory, PREFIX (short, e.g. "wgb") the network
# namespaces and DPDK file prefix: P="PREFIX<pid>-", unique per run so
# tests of several engineers can run at once. Sets HERE (the script's
# folder), WORK (a fresh directory), P, the binaries and tools (DP_BIN,
# CP_BIN, CLI, TOOL, TCP, TEL), sources the topology (tools/topo.sh) and the
# TAP helpers (tap.sh), and traps cleanup: namespaces and started processes
# (TOPO_PIDS) go, also when the test fails.
set -u
: "${WG_BUILD:?}" "${WG_SRC:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "/tmp/wg-e2e-$1.XXXXXX")
P="$2$$-"
DP_BIN="$WG_BUILD/dataplane/wardgate-dataplane"
CP_BIN="$WG_BUILD/controlplane/wardgate-controlplane"
CLI="$WG_BUILD/cli/wardgate"
TOOL="$WG_BUILD/tools/pcap-tool"
TCP="$WG_SRC/tools/tcp_transfer.py"
TEL="$WG_SRC/tools/telemetry.py"
. "$WG_SRC/tools/topo.sh"
. "$WG_SRC/tests/e2e/lib/tap.sh"
cleanup() {
    topo_down
    rm -rf "$WORK"
    # DPDK leaves an (empty) runtime directory per file prefix, even with --no-shconf.
    rmdir /var/run/dpdk/"$P"* 2>/dev/null || true
}
trap cleanup EXIT

# Values from the dataplane's stats JSON (`$TOOL ctl "$DP_SOCK" stats`),
# read from $STATS.
counter() { echo "$STATS" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"].get(sys.argv[1], 0))' "$1"; }
gauge() { echo "$STATS" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["gauges"].get(sys.argv[1], 0))' "$1"; }
