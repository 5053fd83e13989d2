# Shared by the protocol-inspection e2e tests (tests/e2e/l7/): source it after
# preamble.sh. l7_up compiles tests/e2e/l7/policy (one ICU host, 198.18.10.11,
# with a dicom, hl7, smb and ntp constrained rule towards the core host
# 198.18.10.254), brings the topology up and starts the dataplane with it.
# It also starts the control plane in the gateway namespace (its /metrics on
# that namespace's own loopback, so tests never clash on the port) with the
# audit log in $WORK/audit.jsonl: the JSON lines an operator reads, with the
# reason names and the L7 protocol and value. l7_bg starts a process we own
# (its PID goes to TOPO_PIDS, so the preamble's trap stops it on every exit
# path); l7_audit PATTERN waits for an audit line matching it.

L7_POLICY="$WG_SRC/tests/e2e/l7/policy"

l7_up() {
    if ! "$TOOL" compile "$L7_POLICY" "$WORK/policy.img" 2>"$WORK/compile.err"; then
        not_ok "policy compiles" "$(cat "$WORK/compile.err")"
        return 1
    fi
    if ! topo_up || ! topo_start_dataplane --policy-image "$WORK/policy.img"; then
        not_ok "gateway starts with the l7 policy" "$(tail -5 "$WORK/dp.log" 2>/dev/null)"
        return 1
    fi
    # A copy: the control plane watches its directory and must not see a git
    # checkout it does not own.
    cp -r "$L7_POLICY" "$WORK/policy"
    mkdir -p "$WORK/cp-state"
    ip netns exec "${P}gw" "$CP_BIN" --dataplane "$DP_SOCK" --metrics 127.0.0.1:9470 --poll-ms 200 \
        --policy "$WORK/policy" --state-dir "$WORK/cp-state" --image-store "$WORK/cp-policy.img" \
        --audit-log "$WORK/audit.jsonl" --gateway-name "e2e-l7" >"$WORK/cp.log" 2>&1 &
    TOPO_PIDS+=("$!")
    ok "gateway starts with the l7 policy"
}

# l7_bg NS LOG CMD...: runs CMD in namespace ${P}NS in the background, output to LOG.
l7_bg() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "${P}$ns" "$@" >"$log" 2>&1 &
    L7_PID=$!
    TOPO_PIDS+=("$L7_PID")
}

# l7_wait_port NS PROTO PORT: waits (at most 10 s) until something listens on PORT.
l7_wait_port() {
    local i flag=-ltn
    [ "$2" = udp ] && flag=-lun
    for i in $(seq 1 100); do
        ip netns exec "${P}$1" ss -H "$flag" "sport = :$3" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# l7_run SECONDS CMD...: runs CMD with a time bound; sets L7_RC (124 = it hung
# until the bound) and L7_OUT (stdout and stderr).
l7_run() {
    local t=$1
    shift
    L7_OUT=$(timeout -k 2 "$t" "$@" 2>&1)
    L7_RC=$?
}

# l7_audit PATTERN: waits (at most 5 s) for an audit-log line matching the
# extended regex PATTERN; $AUDIT holds the whole log (for the checks and
# their diagnostics).
l7_audit() {
    local i
    for i in $(seq 1 50); do
        grep -qE "$1" "$WORK/audit.jsonl" 2>/dev/null && break
        sleep 0.1
    done
    AUDIT=$(cat "$WORK/audit.jsonl" 2>/dev/null)
    [ -n "$AUDIT" ] || AUDIT="(no audit line; control plane log: $(tail -3 "$WORK/cp.log"))"
}
