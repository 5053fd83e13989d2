#!/bin/bash
# Lints what the control plane serves and what we ship for Prometheus:
#   1. `promtool check metrics` on the full /metrics text of a fake snapshot;
#   2. `promtool check rules` on deploy/prometheus/*.rules.yml;
#   3. `promtool test rules` on the unit tests of those rules (burn-rate
#      alerts fire and stay silent when they should);
#   4. `promtool check config` on the example scrape config;
#   5./6. the same for the fleet configuration (deploy/prometheus/fleet/).
# TAP output.
set -u
SAMPLE=$1
SRC=$2
PROM="$SRC/deploy/prometheus"
n=0
fails=0
result() { # name rc output
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else
        fails=$((fails + 1)); echo "not ok $n - $1"; echo "$3" | sed 's/^/# /'; fi
}
echo "1..6"
text=$("$SAMPLE")
out=$(echo "$text" | promtool check metrics 2>&1); rc=$?
# promtool prints lint findings but still exits 0 for some; any output is a finding.
[ $rc -eq 0 ] && [ -n "$text" ] && [ -z "$out" ] || rc=1
result "promtool check metrics: /metrics text is lint-clean" $rc "$out"
out=$(promtool check rules "$PROM"/*.rules.yml 2>&1); rc=$?
result "promtool check rules deploy/prometheus" $rc "$out"
out=$(cd "$SRC/tests/controlplane" && promtool test rules rules_test.yml 2>&1); rc=$?
result "promtool test rules (burn-rate and operational alerts)" $rc "$out"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$PROM/prometheus.yml" "$PROM"/*.rules.yml "$TMP"/
out=$(promtool check config "$TMP/prometheus.yml" 2>&1); rc=$?
result "promtool check config deploy/prometheus/prometheus.yml" $rc "$out"
out=$(cd "$SRC/tests/controlplane" && promtool test rules fleet_rules_test.yml 2>&1); rc=$?
result "promtool test rules (fleet: policy drift, gateway not reporting, refused revision)" $rc "$out"
mkdir -p "$TMP/fleet-check/fleet"
cp "$PROM"/*.rules.yml "$TMP/fleet-check/"
cp -r "$PROM/fleet/." "$TMP/fleet-check/fleet/"
out=$(promtool check config "$TMP/fleet-check/fleet/prometheus.yml" 2>&1); rc=$?
result "promtool check config deploy/prometheus/fleet/prometheus.yml" $rc "$out"
[ "$fails" -eq 0 ]
