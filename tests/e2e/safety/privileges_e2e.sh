#!/bin/bash
# Least privilege (docs/deployment.md, "Privileges"): the dataplane started
# as root with --user nobody on net_af_packet drops to that user after start,
# keeps only CAP_NET_RAW + CAP_NET_ADMIN (bounding set too), sets
# no_new_privs and a seccomp filter on every thread, and still bridges
# (ping through it) and answers on its management socket. TAP.
set -u
: "${WG_BUILD:?}" "${WG_SRC:?}"
WORK=$(mktemp -d /tmp/wg-e2e-priv.XXXXXX)
P="wgpv$$-"
. "$WG_SRC/tools/topo.sh"
cleanup() { topo_down; rm -rf "$WORK"; }
trap cleanup EXIT
TOOL="$WG_BUILD/tools/pcap-tool"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && echo "$2" | head -20 | sed 's/^/# /'; }
check() { if eval "$2"; then ok "$1"; else notok "$1" "${3:-}"; fi; }
field() { awk -v k="$1:" '$1 == k { $1 = ""; print substr($0, 2) }' "$2"; }
echo "1..9"

NOBODY=$(id -u nobody)
if ! topo_up || ! topo_start_dataplane --user nobody; then
    notok "gateway starts with --user nobody" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts with --user nobody"
for i in $(seq 1 50); do grep -q "running as user" "$WORK/dp.log" && break; sleep 0.1; done
S=/proc/$DP_PID/status
check "uid and gid are nobody's (real, effective, saved, fs)" "[ \"\$(field Uid $S)\" = \"$NOBODY $NOBODY $NOBODY $NOBODY\" ] && [ \"\$(field Gid $S)\" = \"$(id -g nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody)\" ]" \
    "$(grep -E '^(Uid|Gid)' $S)"
# CAP_NET_ADMIN (12) + CAP_NET_RAW (13) = 0x3000: what net_af_packet uses.
check "CapEff and CapPrm are NET_RAW+NET_ADMIN only" \
    "[ \"\$(field CapEff $S)\" = 0000000000003000 ] && [ \"\$(field CapPrm $S)\" = 0000000000003000 ]" \
    "$(grep ^Cap $S)"
check "bounding set reduced, no inheritable/ambient" \
    "[ \"\$(field CapBnd $S)\" = 0000000000003000 ] && [ \"\$(field CapInh $S)\" = 0000000000000000 ] && [ \"\$(field CapAmb $S)\" = 0000000000000000 ]" \
    "$(grep ^Cap $S)"
check "NoNewPrivs 1 and Seccomp 2 (filter)" \
    "[ \"\$(field NoNewPrivs $S)\" = 1 ] && [ \"\$(field Seccomp $S)\" = 2 ]" "$(grep -E '^(NoNew|Seccomp)' $S)"
bad=""
for t in /proc/$DP_PID/task/*/status; do
    [ "$(field NoNewPrivs "$t")" = 1 ] && [ "$(field Seccomp "$t")" = 2 ] \
        && [ "$(field Uid "$t" | awk '{print $1}')" = "$NOBODY" ] || bad="$bad $t"
done
check "every thread (EAL, workers, management) is filtered and unprivileged" '[ -z "$bad" ]' "$bad"
check "the bridge forwards (ping through the gateway)" \
    "ip netns exec ${P}cli ping -c 5 -i 0.2 -W 2 $TOPO_CORE_IP >$WORK/ping.out 2>&1" "$(cat $WORK/ping.out)"
check "management socket still served" "\"$TOOL\" ctl \"$DP_SOCK\" status >$WORK/st.out 2>&1" "$(cat $WORK/st.out)"
stop_pid "$DP_PID"
check "clean shutdown with final counters" "grep -q 'final counters' $WORK/dp.log" "$(tail -5 $WORK/dp.log)"
[ "$fails" -eq 0 ]
