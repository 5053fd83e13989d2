#!/bin/bash
# A staged policy on the live gateway (docs/policy-lifecycle.md, "Staging a
# policy"): the gateway enforces policy A from a git repository (the pump
# may reach TCP 5001) while branch B (TCP 5002 instead of 5001) is staged.
# Real connections: 5001 passes and is counted as would-newly-deny, 5002 is
# dropped and counted as would-newly-allow, each with its audit line and
# nothing else. Then B is merged (the promotion): 5002 passes, 5001 is
# denied, and no new difference appears. Bounded (well under 60 s), cleans
# up on every exit path. TAP.
. "$(dirname "$0")/../lib/preamble.sh" staged wgs
plan 12

REPO="$WORK/repo"
mkdir -p "$REPO"
cp -r "$HERE/policy/." "$REPO/"
git_() { git -C "$REPO" -c user.name=e2e -c user.email=e2e@wardgate.test -c init.defaultBranch=main "$@" >/dev/null 2>&1; }
git_ init -q && git_ add -A && git_ commit -q -m "A: pump to mgmt on 5001"
git_ checkout -q -b staged
sed -i 's/ports: \[5001\]/ports: [5002]/; s/name: to-mgmt/name: to-mgmt-v2/' "$REPO/classes/infusion-pump.yaml"
git_ commit -q -am "B: pump to mgmt on 5002 instead"
git_ checkout -q main

"$TOOL" compile "$REPO" "$WORK/a.img" 2>"$WORK/compile.err" || {
    not_ok "policy A compiles" "$(cat "$WORK/compile.err")"; exit 1; }
if ! topo_up || ! topo_start_dataplane --policy-image "$WORK/a.img"; then
    not_ok "gateway starts enforcing A" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"; exit 1
fi
ok "gateway starts enforcing A"
mkdir -p "$WORK/cp-state"
ip netns exec "${P}gw" "$CP_BIN" --dataplane "$DP_SOCK" --metrics 127.0.0.1:9470 --poll-ms 200 \
    --policy "$REPO" --staged-policy-branch staged --debounce-ms 100 \
    --state-dir "$WORK/cp-state" --image-store "$WORK/cp-policy.img" \
    --audit-log "$WORK/audit.jsonl" --gateway-name e2e-staged >"$WORK/cp.log" 2>&1 &
TOPO_PIDS+=("$!")

staged_status() { "$CLI" status --socket "$DP_SOCK" --staged 2>&1; }
# wait_for SECONDS COND: polls COND every 0.2 s (bounded).
wait_for() {
    local i
    for i in $(seq 1 $(($1 * 5))); do eval "$2" && return 0; sleep 0.2; done
    return 1
}
wait_for 15 'staged_status | grep -q "^staged policy: generation"'
st=$(staged_status)
check "branch B is staged next to A" 'echo "$st" | grep -q "^staged policy: generation 1" && echo "$st" | grep -q "no difference"' \
    "$st $(cat "$WORK/cp.log")"

# A commit to the staged branch alone (no checkout: only its ref moves) is
# picked up: same content (the same staged generation), its new commit.
c2=$(git -C "$REPO" -c user.name=e2e -c user.email=e2e@wardgate.test commit-tree "staged^{tree}" -p staged -m "B: reviewed" 2>/dev/null)
git_ update-ref refs/heads/staged "$c2"
wait_for 10 'grep -q "commit ${c2:0:12} installed as staged generation 1" "$WORK/cp.log"'
check "a commit to the staged branch is staged (ref watched)" \
    'grep -q "commit ${c2:0:12} installed as staged generation 1" "$WORK/cp.log"' "$(cat "$WORK/cp.log")"

# 5001: allowed by A, B would deny it.
ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5001 8 >"$WORK/srv1.out" 2>&1 &
SRV1=$!
TOPO_PIDS+=("$SRV1")
wait_listening "$WORK/srv1.out"
res=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5001 3 2>&1)
check "A enforced: TCP 5001 passes" 'echo "$res" | grep -q "^connected"' "$res"
stop_pid "$SRV1"
# 5002: denied by A (one SYN attempt of 1.5 s), B would allow it.
ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5002 8 >"$WORK/srv2.out" 2>&1 &
SRV2=$!
TOPO_PIDS+=("$SRV2")
wait_listening "$WORK/srv2.out"
res=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5002 1.5 2>&1)
check "A enforced: TCP 5002 is denied" 'echo "$res" | grep -q "^failed" && ! grep -q accepted "$WORK/srv2.out"' "$res"
stop_pid "$SRV2"

# The differences, per class pair, from the dataplane (status --staged).
pair_line() { staged_status | grep "^infusion-pump -> unknown "; }
wait_for 5 '[ -n "$(pair_line)" ]'
line=$(pair_line)
deny=$(echo "$line" | awk '{print $4}')
allow=$(echo "$line" | awk '{print $5}')
st=$(staged_status)
check "status --staged: exactly one class pair differs" \
    '[ "$(echo "$st" | grep -c " -> ")" = 1 ]' "$st"
check "status --staged: 5001 counted as would-newly-deny (one flow), 5002 as would-newly-allow" \
    '[ "$deny" = 1 ] && [ "${allow:-0}" -ge 1 ]' "$st"

# The audit log: the first occurrence of each differing flow, nothing else staged.
wait_for 5 'grep -q staged_would_allow "$WORK/audit.jsonl" 2>/dev/null'
check "audit: staged_would_deny for 5001 and staged_would_allow for 5002, named by both policies" \
    'grep staged_would_deny "$WORK/audit.jsonl" | grep -q "\"dest_port\":5001.*\"rule\":\"infusion-pump/to-mgmt\".*\"staged_rule\":\"default\"" &&
     grep staged_would_allow "$WORK/audit.jsonl" | grep -q "\"dest_port\":5002.*\"staged_rule\":\"infusion-pump/to-mgmt-v2\"" &&
     ! grep "staged_would" "$WORK/audit.jsonl" | grep -vq "\"dest_port\":500[12]"' \
    "$(cat "$WORK/audit.jsonl" 2>/dev/null)"
m=$(metrics_get "${P}gw" 127.0.0.1:9470 2>/dev/null | grep '^wardgate_staged_flows_total{')
check "metrics: wardgate_staged_flows_total per class pair" \
    'echo "$m" | grep -q "src_class=\"infusion-pump\",dst_class=\"unknown\".*difference=\"would_deny\"} 1"' "$m"

# Promote: merge B into the enforced branch. The control plane reloads A+B=B.
hash_b=$(echo "$st" | sed -n 's/^staged policy: generation [0-9]*, content \([0-9a-f]*\).*/\1/p')
git_ merge -q --ff-only staged
wait_for 15 'staged_status | grep -q "equals the enforced one"'
st=$(staged_status)
check "promoted by a merge: the enforced policy is B" \
    'echo "$st" | grep -q "equals the enforced one" && echo "$st" | grep -q "^enforced policy: .*content $hash_b"' \
    "$st $(tail -5 "$WORK/cp.log")"

ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5002 8 >"$WORK/srv3.out" 2>&1 &
SRV3=$!
TOPO_PIDS+=("$SRV3")
wait_listening "$WORK/srv3.out"
res2=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5002 3 2>&1)
stop_pid "$SRV3"
ip netns exec "${P}core" timeout 15 /usr/bin/python3 "$TCP" listen "$TOPO_CORE_IP" 5001 8 >"$WORK/srv4.out" 2>&1 &
SRV4=$!
TOPO_PIDS+=("$SRV4")
wait_listening "$WORK/srv4.out"
res1=$(ip netns exec "${P}cli" timeout 10 /usr/bin/python3 "$TCP" connect "$TOPO_CORE_IP" 5001 1.5 2>&1)
stop_pid "$SRV4"
check "B enforced: TCP 5002 passes, TCP 5001 is denied" \
    'echo "$res2" | grep -q "^connected" && echo "$res1" | grep -q "^failed"' "5002: $res2 5001: $res1"
st=$(staged_status)
check "after the promotion the difference is zero" 'echo "$st" | grep -q "no difference"' "$st"
summary
