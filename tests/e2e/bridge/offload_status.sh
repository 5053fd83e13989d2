#!/bin/bash
# The checksum-offload hazard (issue 12) is not only a start-up log line:
# with transmit checksum offload left ON on one af_packet veth, `wardgate
# status` prints a WARNING naming that interface (and not the other), and
# the stats carry the checksum_offload_hazard gauge the alert rule watches
# (wardgate_dataplane_level{name="checksum_offload_hazard"}). TAP output.
. "$(dirname "$0")/../lib/preamble.sh" offload wgo
plan 4

if ! topo_up; then not_ok "topology" "topo_up failed"; exit 1; fi
# topo_up switched the transmit offloads off (rx checksumming stays on):
# gwc0 fully off (the control), transmit checksum offload back on gwk0.
ip netns exec "${P}gw" ethtool -K gwc0 rx off >/dev/null 2>&1
ip netns exec "${P}gw" ethtool -K gwk0 tx on >/dev/null 2>&1
if ! topo_start_dataplane; then
    not_ok "gateway starts with offload on gwk0" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with offload on gwk0"

st=$(ip netns exec "${P}gw" timeout 10 "$CLI" status --socket "$DP_SOCK" 2>&1)
check "wardgate status warns about gwk0" \
    'echo "$st" | grep -q "^WARNING checksum_offload_hazard: checksum offload is ON for interface gwk0"' "$st"
check "and not about gwc0 (offload off)" '! echo "$st" | grep -q "interface gwc0"' "$st"
STATS=$(ip netns exec "${P}gw" timeout 10 "$TOOL" ctl "$DP_SOCK" stats 2>&1)
check "the checksum_offload_hazard gauge counts one port" '[ "$(gauge checksum_offload_hazard)" = 1 ]' \
    "$(echo "$STATS" | head -c 600)"
summary
