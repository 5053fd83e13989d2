#!/usr/bin/env python3
"""Generates deploy/grafana/dashboards/wardgate-fleet.json (committed;
regenerate after editing: `python3 deploy/grafana/gen_fleet_dashboard.py`).

The fleet view for a central Prometheus scraping many gateways
(deploy/prometheus/fleet/): every series carries `gateway`, `site` and `zone`
target labels, so the variables select by site and gateway and every panel
shows one line / row per gateway. The per-gateway detail stays in
wardgate.json (gen_dashboard.py). Checked by
tests/controlplane/check_fleet_dashboard.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grafana_lib import DS, RI, Layout, t, write  # noqa: E402

SEL = 'site=~"$site",gateway=~"$gateway"'

_layout = Layout()
panels, row, panel = _layout.panels, _layout.row, _layout.panel

RED_GREEN = [{"color": "red", "value": None}, {"color": "green", "value": 1}]
GREEN_RED = [{"color": "green", "value": None}, {"color": "red", "value": 1}]

row("Fleet health")
panel("stat", "Gateways reporting", [
    t(f'sum(up{{job="wardgate-fleet",{SEL}}})', "up", instant=True),
    t(f'count(up{{job="wardgate-fleet",{SEL}}})', "configured", instant=True),
], w=6, newline=False, desc="Scraped / configured (file_sd targets).")
panel("stat", "Policy revisions running in the fleet", [
    t(f'count(count by (commit) (wardgate_policy_revision_info{{{SEL},commit!=""}}))', "",
      instant=True),
], w=6, x=6, newline=False,
    thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 2}],
    desc="1 = every selected gateway runs the same policy revision.")
panel("table", "Per gateway: up, dataplane, fail-open, no policy", [
    t(f'up{{job="wardgate-fleet",{SEL}}}', "", instant=True, fmt="table"),
    t(f'wardgate_dataplane_up{{{SEL}}}', "", instant=True, fmt="table"),
    t(f'wardgate_dataplane_fail_open{{{SEL}}}', "", instant=True, fmt="table"),
    t(f'wardgate_dataplane_no_policy{{{SEL}}}', "", instant=True, fmt="table"),
], w=12, x=12, extra={"transformations": [{"id": "merge", "options": {}}]})

row("Policy rollout")
panel("table", "Applied revision and signer per gateway", [
    t(f'wardgate_policy_revision_info{{{SEL}}}', "", instant=True, fmt="table"),
], w=12, newline=False,
    desc="The revision each gateway runs, who signed it (--require-signed).")
panel("table", "Refused revisions (running policy kept)", [
    t(f'wardgate_policy_revision_refused{{{SEL}}} == 1', "", instant=True, fmt="table"),
], w=12, x=12,
    desc="not-fast-forward: force-push / rewritten history; unsigned, unknown-signer, "
         "bad-signature: not signed by an allowed key. Never applied.")
panel("timeseries", "Revision age behind the newest in the fleet", [
    t(f'max(wardgate_policy_revision_timestamp_seconds{{{SEL}}}) - on () group_right () '
      f'wardgate_policy_revision_timestamp_seconds{{{SEL}}}', "{{gateway}}"),
], w=12, unit="s", newline=False,
    desc="0 for every gateway once a rollout reached them all; WardgatePolicyDrift fires after 15 min.")
panel("timeseries", "Refusals and rejected reloads per gateway", [
    t(f'sum by (gateway, reason) (increase(wardgate_policy_revision_refused_total{{{SEL}}}[{RI}]))',
      "{{gateway}} refused {{reason}}"),
    t(f'sum by (gateway) (increase(wardgate_policy_reload_total{{{SEL},result="rejected"}}[{RI}]))',
      "{{gateway}} did not compile"),
], w=12, x=12)

row("Degraded states")
panel("timeseries", "Fail-open / no policy per gateway", [
    t(f'wardgate_dataplane_fail_open{{{SEL}}}', "{{gateway}} fail-open"),
    t(f'wardgate_dataplane_no_policy{{{SEL}}}', "{{gateway}} no policy"),
], w=8, newline=False)
panel("timeseries", "Overload drops per second", [
    t(f'sum by (gateway) (rate(wardgate_drops_total{{{SEL},reason="overload"}}[{RI}]))',
      "{{gateway}}"),
], w=8, x=8, unit="pps", newline=False)
panel("timeseries", "Worker stall: max heartbeat age", [
    t(f'max by (gateway) (wardgate_worker_heartbeat_age_seconds{{{SEL}}})', "{{gateway}}"),
], w=8, x=16, unit="s")

row("Telemetry latency SLO and denials")
panel("bargauge", "Telemetry packets under 32.768 µs per gateway (SLO ≥ 99.9 %)", [
    t(f'sum by (gateway) (rate(wardgate_packet_latency_seconds_bucket{{{SEL},path="bypass",le="3.2768e-05"}}[$__range])) '
      f'/ sum by (gateway) (rate(wardgate_packet_latency_seconds_count{{{SEL},path="bypass"}}[$__range]))',
      "{{gateway}}", instant=True),
], w=12, unit="percentunit", newline=False,
    thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 0.999}])
panel("table", "Top denied class pairs across the fleet", [
    t(f'topk(20, sum by (gateway, src_class, dest_class, verdict) '
      f'(increase(wardgate_denied_class_pairs_total{{{SEL}}}[$__range])))', "", instant=True,
      fmt="table"),
], w=12, x=12)


def var(name, label, query):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query,
            "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "refresh": 2,
            "hide": 0}


dashboard = {
    "uid": "wardgate-fleet",
    "title": "wardgate fleet",
    "tags": ["wardgate", "microsegmentation", "fleet"],
    "timezone": "utc",
    "schemaVersion": 36,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1},
        var("site", "Site", 'label_values(up{job="wardgate-fleet"}, site)'),
        var("gateway", "Gateway", 'label_values(up{job="wardgate-fleet",site=~"$site"}, gateway)'),
    ]},
    "annotations": {"list": [
        {"name": "Policy revisions applied", "datasource": DS, "enable": True, "iconColor": "blue",
         "expr": f'changes(wardgate_policy_revision_timestamp_seconds{{{SEL}}}[1m]) > 0',
         "titleFormat": "policy revision", "textFormat": "{{gateway}} applied a new revision"},
    ]},
    "panels": panels,
}

if __name__ == "__main__":
    write(dashboard, "wardgate-fleet.json")
