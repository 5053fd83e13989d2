#!/bin/sh
# The control-plane unit runs unprivileged and sandboxed: not root, and the
# offline `systemd-analyze security` exposure stays at or below 1.5.
# TAP output; skipped where systemd-analyze is not installed.
unit="$1/deploy/systemd/wardgate-controlplane.service"
echo "1..2"
if grep -q '^User=wardgate$' "$unit" && ! grep -q '^User=root' "$unit"; then
    echo "ok 1 - runs as user wardgate"
else
    echo "not ok 1 - runs as user wardgate"
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "ok 2 # SKIP systemd-analyze not installed"
    exit 0
fi
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'; then
    echo "ok 2 - systemd-analyze exposure $score <= 1.5"
else
    echo "not ok 2 - systemd-analyze exposure '$score' > 1.5"
fi
