#!/bin/bash
# The real control plane and CLI on a policy checkout whose .git/config tries
# to run programs (fsmonitor, hooks, filters, textconv, pager, include.path,
# ...): a start-up reload, a SIGHUP reload with --require-committed, and
# `wardgate diff` of two revisions must not run any of them. Each would
# leave a marker file. No dataplane: the reloads compile and report. TAP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${WG_BUILD:?}"
WORK=$(mktemp -d /tmp/wg-e2e-gitsafe.XXXXXX)
CP_BIN="$WG_BUILD/controlplane/wardgate-controlplane"
CLI="$WG_BUILD/cli/wardgate"
PORT=$((20000 + $$ % 1000))
CP_PID=
cleanup() {
    [ -n "$CP_PID" ] && kill "$CP_PID" 2>/dev/null && wait "$CP_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | head -20 | sed 's/^/# /'; }
echo "1..5"

REPO="$WORK/repo"
POL="$REPO/policy"
M="$WORK/markers"
mkdir -p "$REPO" "$M" "$WORK/bin" "$WORK/hooks" "$WORK/run"
cp -r "$HERE/policy" "$POL"
printf '* filter=evil diff=evil\n' >"$REPO/.gitattributes"
g() { git -C "$REPO" -c user.name=e2e -c user.email=e2e@example.invalid -c core.hooksPath=/dev/null "$@"; }
g init -q && g add -A && g commit -qm one
echo "# second revision" >>"$POL/gateway.yaml"
g commit -qam two
for x in fsmonitor clean smudge textconv diffcmd diffext pager editor ssh askpass gpg include proxy credential; do
    printf '#!/bin/sh\ntouch %s/%s\nexec cat\n' "$M" "$x" >"$WORK/bin/$x"
    chmod +x "$WORK/bin/$x"
done
for h in post-index-change post-checkout pre-commit reference-transaction pre-auto-gc; do
    printf '#!/bin/sh\ntouch %s/hook-%s\n' "$M" "$h" >"$WORK/hooks/$h"
    chmod +x "$WORK/hooks/$h"
done
printf '[filter "evil"]\n\tprocess = %s/bin/include\n[core]\n\tpager = %s/bin/include\n' "$WORK" "$WORK" >"$WORK/included"
B="$WORK/bin"
cat >"$REPO/.git/config" <<CFG
[core]
	repositoryformatversion = 0
	bare = false
	fsmonitor = $B/fsmonitor
	hooksPath = $WORK/hooks
	pager = $B/pager
	editor = $B/editor
	sshCommand = $B/ssh
	askPass = $B/askpass
	gitProxy = $B/proxy
[filter "evil"]
	clean = $B/clean
	smudge = $B/smudge
[diff "evil"]
	textconv = $B/textconv
	command = $B/diffcmd
[diff]
	external = $B/diffext
[credential]
	helper = $B/credential
[gpg]
	program = $B/gpg
[log]
	showSignature = true
[include]
	path = $WORK/included
CFG
touch -d '+1 hour' "$POL"/*.yaml "$POL"/classes/* "$REPO/.gitattributes" 2>/dev/null

"$CP_BIN" --dataplane "$WORK/none.sock" --metrics "127.0.0.1:$PORT" --policy "$POL" \
    --require-committed --state-dir "$WORK/run" --image-store "$WORK/policy.img" \
    >"$WORK/cp.log" 2>&1 &
CP_PID=$!
reloads() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reloads"])' "$WORK/run/controlplane.json" 2>/dev/null || echo 0; }
wait_reloads() { for _ in $(seq 1 100); do [ "$(reloads)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
if wait_reloads 1; then ok "start-up reload finished"; else notok "start-up reload finished" "$(cat "$WORK/cp.log")"; fi
kill -HUP "$CP_PID"
if wait_reloads 2; then ok "SIGHUP reload finished"; else notok "SIGHUP reload finished" "$(cat "$WORK/cp.log")"; fi
head=$(g rev-parse HEAD)
if grep -q "$head" "$WORK/cp.log" || grep -q "not-committed" "$WORK/cp.log"; then
    notok "reload saw a clean tree at HEAD" "$(cat "$WORK/cp.log")"
else
    # Compiled and committed, only the dataplane is missing.
    if grep -q "dataplane not connected" "$WORK/cp.log"; then ok "reload saw a clean, committed tree"
    else notok "reload saw a clean, committed tree" "$(cat "$WORK/cp.log")"; fi
fi
out=$("$CLI" diff HEAD~1 HEAD --repo "$POL" 2>&1)
if [ $? -eq 0 ]; then ok "wardgate diff of two revisions"; else notok "wardgate diff of two revisions" "$out"; fi
fired=$(ls "$M")
if [ -z "$fired" ]; then ok "nothing from .git/config ran"; else notok "nothing from .git/config ran" "$fired"; fi
exit $((fails > 0))
