#!/bin/bash
# The dataplane refuses bad set-ups with one clear line and a non-zero exit:
# a missing port, an extra port, a port that cannot be started, a socket path
# that cannot be created, a missing role. TAP output.
. "$(dirname "$0")/../lib/preamble.sh" dperr dperr
W=$WORK
E=(--no-huge -m 128 --no-pci --no-shconf --no-telemetry --log-level=1)
NULLS=(--vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1)
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$WG_SRC/tools'); import frames, pcapio
pcapio.write('$W/in.pcap', [(1.0, frames.udp('198.18.0.1', '198.18.0.2', 53, 53))])" || exit 1

expect() { # name expected-rc expected-substring cmd...
    local name=$1 rc=$2 want=$3; shift 3
    local out got
    out=$(timeout 20 "$@" 2>&1); got=$?
    check "$name" '[ "$got" = "$rc" ] && printf "%s" "$out" | grep -qF -- "$want"' \
        "rc=$got (want $rc), output: $(printf '%s' "$out" | grep -v '^EAL' | tail -3 | tr '\n' ' ')"
}
plan 5
expect "missing port is named" 1 "core port: no port named 'net_null5'" \
    "$DP_BIN" "${E[@]}" -l 0 --file-prefix "${P}1" "${NULLS[@]}" -- --clinical net_null0 --core net_null5 --socket "$W/s1"
expect "extra port is named" 1 "extra port(s) net_null2" \
    "$DP_BIN" "${E[@]}" -l 0 --file-prefix "${P}2" "${NULLS[@]}" --vdev net_null2,no-rx=1 -- --clinical net_null0 --core net_null1 --socket "$W/s2"
expect "port that cannot start is named" 1 "clinical port: port net_pcap0 supports 1 queues, 2 needed" \
    "$DP_BIN" "${E[@]}" --lcores 0@0,1@0,2@0 --file-prefix "${P}3" --vdev "net_pcap0,rx_pcap=$W/in.pcap,tx_pcap=$W/o0.pcap" \
    --vdev "net_pcap1,rx_pcap=$W/in.pcap,tx_pcap=$W/o1.pcap" -- --clinical net_pcap0 --core net_pcap1 --socket "$W/s3"
expect "socket path that cannot be created is named" 1 "cannot create socket directory /proc/wardgate-nope" \
    "$DP_BIN" "${E[@]}" -l 0 --file-prefix "${P}4" "${NULLS[@]}" -- --clinical net_null0 --core net_null1 --socket /proc/wardgate-nope/dp.sock
expect "missing role is a usage error" 2 "missing --core PORT" \
    "$DP_BIN" "${E[@]}" -l 0 --file-prefix "${P}5" "${NULLS[@]}" -- --clinical net_null0 --socket "$W/s5"
summary
