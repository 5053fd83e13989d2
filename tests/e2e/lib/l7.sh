# Shared by the protocol-inspection e2e tests (tests/e2e/l7/): source it after
# preamble.sh. l7_up compiles tests/e2e/l7/policy (one ICU host, 198.18.10.11,
# with a dicom, hl7, smb and ntp constrained rule towards the core host
# 198.18.10.254), brings the topology up and starts the dataplane with it.
# l7_bg starts a process we own (its PID goes to TOPO_PIDS, so the preamble's
# trap stops it on every exit path). l7_audit fetches the dataplane's audit
# batch into $AUDIT.

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

l7_audit() {
    AUDIT=$("$TOOL" ctl "$DP_SOCK" audit 2>&1)
}
