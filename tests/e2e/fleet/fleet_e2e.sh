#!/bin/bash
# Fleet end to end: three gateways (icu, nicu, or), each a DPDK dataplane on
# net_af_packet in its own namespaces (clinical host | gateway | core host)
# with its own control plane, all following one bare git repository with
# --require-signed (an ssh-keygen key in an allowed-signers file), and one
# real Prometheus scraping the three control planes (loopback, ports unique
# per run). Steps, each checked on real TCP connections through every gateway:
#   1. a signed commit opening TCP 5002 in the shared class reaches all three;
#   2. an unsigned commit (opening 5003) is refused by all three;
#   3. a signed commit opening 5004 that breaks the OR's own file: icu and
#      nicu apply it, the OR keeps its last good policy;
#   4. a force-push (history rewritten, opening 5005) is refused by all three;
#   5. Prometheus shows each state (its HTTP API).
# Dataplanes are small (-m 128, 2047 mbufs): three run on the 2-core CI machine.
. "$(dirname "$0")/../lib/preamble.sh" fleet wgf
GWS=(icu nicu or)
BASE_PORT=$((21000 + ($$ % 500) * 4))
PROM_PORT=$((BASE_PORT + 3))
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
plan 17

ROOT_P=$P
# Per-gateway namespaces: P switches to "wgf<pid>-<gw>-" around topo_* calls.
cleanup_fleet() {
    local g
    for g in "${GWS[@]}"; do P="${ROOT_P}${g}-" topo_down; done
    P=$ROOT_P topo_down
    rm -rf "$WORK"
    rmdir /var/run/dpdk/"$ROOT_P"* 2>/dev/null || true
}
trap cleanup_fleet EXIT

# --- the policy repository: shared class + three gateways ---------------------
REPO="$WORK/remote.git"
SRC="$WORK/src"
git init -q --bare -b main "$REPO"
mkdir -p "$SRC/shared" && git init -q -b main "$SRC"
ssh-keygen -q -t ed25519 -N "" -C policy-lead -f "$WORK/signing"
ssh-keygen -q -t ed25519 -N "" -C intruder -f "$WORK/other"
echo "policy-lead@example.invalid $(cat "$WORK/signing.pub")" >"$WORK/allowed_signers"
G() { git -C "$SRC" -c user.name=policy-lead -c user.email=policy-lead@example.invalid \
    -c gpg.format=ssh -c user.signingkey="$WORK/signing" "$@"; }
shared_class() { # ports...
    local p list=""
    for p in "$@"; do list="${list:+$list, }$p"; done
    cat >"$SRC/shared/classes.yaml" <<EOF
kind: DeviceClass
name: workstation
mode: enforce
default_action: deny
egress:
  - {name: to-server, to: {class: server}, proto: tcp, ports: [$list]}
---
kind: DeviceClass
name: server
mode: enforce
default_action: deny
EOF
}
shared_class 5001
for g in "${GWS[@]}"; do
    mkdir -p "$SRC/gateways/$g"
    cat >"$SRC/gateways/$g/gateway.yaml" <<EOF
kind: Gateway
name: $g
include: [shared]
zones: [WARD, DATACENTER]
clinical_space: [198.18.10.0/25]
core_space: [198.18.10.128/25]
unknown: {mode: enforce, default_action: deny}
essentials: {arp: forward, ipv6_nd: forward, other_non_ip: drop}
settings: {on_failure: open}
EOF
    cat >"$SRC/gateways/$g/inventory.yaml" <<EOF
kind: Inventory
hosts:
  - {asset_id: WS-$g, ip: 198.18.10.11, class: workstation, zone: WARD}
  - {asset_id: SRV-$g, ip: 198.18.10.254, class: server, zone: DATACENTER}
EOF
done
G add -A && G commit -q -S -m "fleet: initial policy (5001)"
G push -q "$REPO" main
head_of() { git -C "$REPO" rev-parse main; }

# --- three gateways ---------------------------------------------------------------
cp_port() { case $1 in icu) echo "$BASE_PORT" ;; nicu) echo $((BASE_PORT + 1)) ;; or) echo $((BASE_PORT + 2)) ;; esac; }
declare -A CP_PIDS
start_gateway() { # gw
    local g=$1 i
    P="${ROOT_P}${g}-"
    mkdir -p "$WORK/$g"
    topo_up || return 1
    ip netns exec "${P}gw" "$DP_BIN" --no-huge -m 128 --no-pci --no-shconf --no-telemetry \
        --file-prefix "${P}dp" -l 0 \
        --vdev "net_af_packet0,iface=gwc0,qpairs=1" --vdev "net_af_packet1,iface=gwk0,qpairs=1" \
        --log-level="lib.*:4" -- --clinical net_af_packet0 --core net_af_packet1 \
        --socket "$WORK/$g/dp.sock" --mbufs 2047 >"$WORK/$g/dp.log" 2>&1 &
    TOPO_PIDS+=("$!")
    # Listeners for every probe port (the policy decides which SYNs reach them).
    ip netns exec "${P}core" timeout 170 /usr/bin/python3 -c '
import socket, sys, select
ls = []
for p in range(5001, 5006):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.10.254", p)); s.listen(16); ls.append(s)
while True:
    for s in select.select(ls, [], [])[0]:
        c, _ = s.accept(); c.close()' >/dev/null 2>&1 &
    TOPO_PIDS+=("$!")
    for i in $(seq 1 100); do
        [ -S "$WORK/$g/dp.sock" ] && grep -q bridging "$WORK/$g/dp.log" && break
        sleep 0.1
    done
    grep -q bridging "$WORK/$g/dp.log" || return 1
    # The control plane runs outside the namespaces (its dataplane link is a
    # Unix socket) so one Prometheus on loopback reaches all three.
    "$CP_BIN" --dataplane "$WORK/$g/dp.sock" --metrics "127.0.0.1:$(cp_port "$g")" --poll-ms 500 \
        --policy-git "$REPO" --policy-branch main --gateway "$g" --policy-fetch-s 2 \
        --require-signed --allowed-signers "$WORK/allowed_signers" \
        --state-dir "$WORK/$g/state" --image-store "$WORK/$g/policy.img" \
        --audit-log "$WORK/$g/audit.jsonl" >"$WORK/$g/cp.log" 2>&1 &
    CP_PIDS[$g]=$!
    TOPO_PIDS+=("$!")
    P=$ROOT_P
}
started=1
for g in "${GWS[@]}"; do start_gateway "$g" || { started=0; P=$ROOT_P; break; }; done
if [ "$started" != 1 ]; then
    not_ok "three gateways start" "$(tail -3 "$WORK"/*/dp.log 2>/dev/null)"; summary; exit 1
fi
ok "three gateways start (dataplane + control plane each)"

state() { # gw key -> value from the control plane's state file
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$WORK/$1/state/controlplane.json" "$2" 2>/dev/null
}
metric() { # gw series -> value
    curl -s --max-time 3 "http://127.0.0.1:$(cp_port "$1")/metrics" 2>/dev/null |
        awk -v s="$2" '$1 == s { print $2; exit }'
}
wait_all() { # condition-function (called per gateway), bounded 20 s
    local i g all
    for i in $(seq 1 100); do
        all=1
        for g in "${GWS[@]}"; do "$1" "$g" || all=0; done
        [ "$all" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}
# Every gateway's probe of one port, in parallel: prints "gw:connected gw:failed ...".
probe() { # port
    local g
    for g in "${GWS[@]}"; do
        ( r=$(ip netns exec "${ROOT_P}${g}-cli" timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(1.5)
try:
    s.connect(("198.18.10.254", int(sys.argv[1]))); print("connected")
except OSError:
    print("failed")' "$1" 2>&1); echo "$g:$r" >"$WORK/probe.$g" ) &
    done
    wait
    for g in "${GWS[@]}"; do printf '%s ' "$(cat "$WORK/probe.$g")"; done
}
hup_all() { local g; for g in "${GWS[@]}"; do kill -HUP "${CP_PIDS[$g]}"; done; }

C0=$(head_of)
on_commit() { [ "$(state "$1" commit)" = "$WANT" ]; }
WANT=$C0
wait_all on_commit
check "initial signed revision applied by all three" 'wait_all on_commit' \
    "$(for g in "${GWS[@]}"; do echo "$g: $(state "$g" last_result) $(state "$g" commit)"; tail -2 "$WORK/$g/cp.log"; done)"
r=$(probe 5001)
check "5001 open through every gateway" '[ "$r" = "icu:connected nicu:connected or:connected " ]' "$r"
r=$(probe 5002)
check "5002 closed through every gateway" '[ "$r" = "icu:failed nicu:failed or:failed " ]' "$r"

# --- 1. a signed shared change reaches all three ----------------------------------
shared_class 5001 5002
G commit -q -a -S -m "shared: workstations may use 5002" && G push -q "$REPO" main
C1=$(head_of); WANT=$C1
hup_all
check "signed shared change applied by all three" 'wait_all on_commit' \
    "$(for g in "${GWS[@]}"; do echo "$g: $(state "$g" commit)"; tail -2 "$WORK/$g/cp.log"; done)"
r=$(probe 5002)
check "5002 now open through every gateway" '[ "$r" = "icu:connected nicu:connected or:connected " ]' "$r"

# --- 2. an unsigned commit is refused by all three --------------------------------
shared_class 5001 5002 5003
git -C "$SRC" -c user.name=someone -c user.email=someone@example.invalid commit -q -a \
    -m "unsigned: open 5003" && G push -q "$REPO" main
C2=$(head_of)
hup_all
refused_unsigned() { [ "$(metric "$1" "wardgate_policy_revision_refused{commit=\"$C2\",reason=\"unsigned\"}")" = 1 ]; }
check "unsigned commit refused by all three" 'wait_all refused_unsigned' \
    "$(for g in "${GWS[@]}"; do grep refused "$WORK/$g/cp.log" | tail -1; done)"
WANT=$C1
check "all three still on the signed revision" 'wait_all on_commit'
r=$(probe 5003)
check "5003 still closed through every gateway" '[ "$r" = "icu:failed nicu:failed or:failed " ]' "$r"

# --- 3. a signed commit that breaks only the OR's view -----------------------------
shared_class 5001 5002 5004
echo "kind: DeviceClass
name: broken
mode: enforced" >"$SRC/gateways/or/broken.yaml"
G add -A && G commit -q -S -m "shared: 5004 (and a broken OR file)" && G push -q "$REPO" main
C3=$(head_of)
hup_all
WANT=$C3
icu_nicu_on_c3() { [ "$1" = or ] || on_commit "$1"; }
check "icu and nicu apply the signed revision" 'wait_all icu_nicu_on_c3' \
    "$(for g in icu nicu; do echo "$g: $(state "$g" commit)"; tail -2 "$WORK/$g/cp.log"; done)"
or_rejected() { [ "$1" != or ] || [ "$(state or last_result)" = rejected ]; }
wait_all or_rejected
check "the OR rejects it (file:line:col) and keeps its last good policy" \
    '[ "$(state or last_result)" = rejected ] && [ "$(state or commit)" = "$C1" ] && grep -q "gateways/or/broken.yaml:3" "$WORK/or/state/controlplane.json"' \
    "$(cat "$WORK/or/state/controlplane.json")"
r=$(probe 5004)
check "5004 open through icu and nicu, closed through the OR" '[ "$r" = "icu:connected nicu:connected or:failed " ]' "$r"

# --- 4. a force-push is refused ----------------------------------------------------
git -C "$SRC" reset -q --hard "$C0"
shared_class 5001 5002 5005
G commit -q -a -S -m "rewritten history: 5005" && G push -q --force "$REPO" main
C4=$(head_of)
hup_all
refused_ff() { [ "$(metric "$1" "wardgate_policy_revision_refused{commit=\"$C4\",reason=\"not-fast-forward\"}")" = 1 ]; }
check "force-push refused by all three (not-fast-forward)" 'wait_all refused_ff' \
    "$(for g in "${GWS[@]}"; do grep refus "$WORK/$g/cp.log" | tail -1; done)"
r=$(probe 5005)
check "5005 still closed through every gateway" '[ "$r" = "icu:failed nicu:failed or:failed " ]' "$r"
check "refusals are in the audit log" 'grep -q "\"policy-revision-refused\".*not-fast-forward" "$WORK/icu/audit.jsonl"'

# --- 5. Prometheus sees each state --------------------------------------------------
mkdir -p "$WORK/prom/targets"
cat >"$WORK/prom/targets/fleet.yml" <<EOF
- targets: ["127.0.0.1:$(cp_port icu)"]
  labels: {gateway: icu, site: e2e}
- targets: ["127.0.0.1:$(cp_port nicu)"]
  labels: {gateway: nicu, site: e2e}
- targets: ["127.0.0.1:$(cp_port or)"]
  labels: {gateway: or, site: e2e}
EOF
cat >"$WORK/prom/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: wardgate-fleet
    file_sd_configs: [{files: ["$WORK/prom/targets/*.yml"], refresh_interval: 1s}]
EOF
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prom.log" 2>&1 &
TOPO_PIDS+=("$!")
pq() { # PromQL -> "label=value ..." of each result, sorted
    /usr/bin/python3 -c '
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
r = json.load(urllib.request.urlopen(u, timeout=5))["data"]["result"]
print(" ".join(sorted("%s=%s" % (x["metric"].get("gateway", ""), x["value"][1]) for x in r)))' \
        "$PROM_PORT" "$1" 2>/dev/null
}
up=""
for i in $(seq 1 60); do
    up=$(pq 'up{job="wardgate-fleet"}')
    [ "$up" = "icu=1 nicu=1 or=1" ] && break
    sleep 0.5
done
check "Prometheus scrapes all three gateways" '[ "$up" = "icu=1 nicu=1 or=1" ]' "$up $(tail -3 "$WORK/prom.log")"
revs=$(pq "count by (gateway) (wardgate_policy_revision_info{commit=\"$C3\"})")
orrev=$(pq "count by (gateway) (wardgate_policy_revision_info{commit=\"$C1\",signer=\"policy-lead@example.invalid\"})")
refused=$(pq 'wardgate_policy_revision_refused{reason="not-fast-forward"}')
unsigned=$(pq 'wardgate_policy_revision_refused_total{reason="unsigned"}')
check "Prometheus: icu and nicu on the new revision, the OR on the last good one, all refusing the force-push" \
    '[ "$revs" = "icu=1 nicu=1" ] && [ "$orrev" = "or=1" ] && [ "$refused" = "icu=1 nicu=1 or=1" ] && [ "$unsigned" = "icu=1 nicu=1 or=1" ]' \
    "revs=$revs orrev=$orrev refused=$refused unsigned=$unsigned"
summary
