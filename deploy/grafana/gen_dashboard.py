#!/usr/bin/env python3
"""Generates deploy/grafana/dashboards/wardgate.json (committed; regenerate
after editing this file: `python3 deploy/grafana/gen_dashboard.py`).

Written as code so panel ids, grid positions and the datasource reference
stay consistent; tests/controlplane/check_dashboards.py validates the output
against the metrics the control plane actually serves."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grafana_lib import DS, RI, Layout, t, write  # noqa: E402

SLO_S = 32.768e-6  # deploy/prometheus/wardgate.rules.yml, controlplane/latency_buckets.hpp
SEL = 'instance=~"$instance"'

_layout = Layout()
panels, row, panel = _layout.panels, _layout.row, _layout.panel


lat = f'wardgate_packet_latency_seconds_bucket{{{SEL},class!="all"}}'

row("Latency against the SLO")
panel("timeseries", "Per-class latency p50 / p95 / p99 (all selected gateways)", [
    t(f'histogram_quantile(0.5, sum by (le, class) (rate({lat}[{RI}])))', "{{class}} p50"),
    t(f'histogram_quantile(0.95, sum by (le, class) (rate({lat}[{RI}])))', "{{class}} p95"),
    t(f'histogram_quantile(0.99, sum by (le, class) (rate({lat}[{RI}])))', "{{class}} p99"),
    t(f'vector({SLO_S})', "SLO threshold 32.768 µs"),
], w=12, x=0, unit="s", newline=False,
    desc="From the Prometheus histogram (binary µs buckets, interpolated inside a bucket). "
         "The SLO line is the threshold: at least 99.9 % of telemetry packets under it.")
panel("timeseries", "Telemetry bypass latency p50 / p95 / p99", [
    t(f'histogram_quantile(0.5, sum by (le) (rate(wardgate_packet_latency_seconds_bucket{{{SEL},path="bypass"}}[{RI}])))', "p50"),
    t(f'histogram_quantile(0.95, sum by (le) (rate(wardgate_packet_latency_seconds_bucket{{{SEL},path="bypass"}}[{RI}])))', "p95"),
    t(f'histogram_quantile(0.99, sum by (le) (rate(wardgate_packet_latency_seconds_bucket{{{SEL},path="bypass"}}[{RI}])))', "p99"),
    t(f'vector({SLO_S})', "SLO threshold 32.768 µs"),
], w=12, x=12, unit="s")
panel("stat", "Telemetry packets under 32.768 µs (SLO ≥ 99.9 %)", [
    t(f'sum(rate(wardgate_packet_latency_seconds_bucket{{{SEL},path="bypass",le="3.2768e-05"}}[$__range])) '
      f'/ sum(rate(wardgate_packet_latency_seconds_count{{{SEL},path="bypass"}}[$__range]))', "", instant=True),
], w=6, x=0, unit="percentunit", newline=False,
    thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 0.999}],
    desc="Exact: 32.768 µs is a bucket boundary. Over the dashboard's time range.")
panel("stat", "Error budget burn rate (1h)", [
    t('max(wardgate:bypass_latency_slow_ratio:rate1h{' + SEL + '}) / 0.001', "", instant=True),
], w=6, x=6, unit="none", newline=False,
    thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 6},
                {"color": "red", "value": 14.4}],
    desc="1 = the 30-day budget lasts exactly 30 days; 14.4 pages.")
panel("timeseries", "Fine-histogram p99 per class and path (last minute, ±1.6 %)", [
    t(f'wardgate_packet_latency_p99_seconds{{{SEL}}}', "{{instance}} {{path}} {{class}}"),
], w=12, x=12, unit="s",
    desc="Computed by the control plane from the dataplane's 864-bucket histogram.")

row("Verdicts")
panel("timeseries", "Packets per second by verdict", [
    t(f'sum by (verdict) (rate(wardgate_class_packets_total{{{SEL}}}[{RI}]))', "{{verdict}}"),
], w=12, x=0, unit="pps", newline=False)
panel("timeseries", "Denied and would-deny packets per second by class", [
    t(f'sum by (class, verdict) (rate(wardgate_class_packets_total{{{SEL},verdict=~"denied|would_deny"}}[{RI}]))',
      "{{class}} {{verdict}}"),
], w=12, x=12, unit="pps")
panel("table", "Top denied class pairs (flows, over the time range)", [
    t(f'topk(10, sum by (src_class, dest_class, verdict) (increase(wardgate_denied_class_pairs_total{{{SEL}}}[$__range])))',
      "", instant=True, fmt="table"),
], w=12, x=0, newline=False,
    desc="From the audit events (the dataplane's per-source audit limit applies).")
panel("timeseries", "Drops per second by reason", [
    t(f'sum by (reason) (rate(wardgate_drops_total{{{SEL}}}[{RI}]))', "{{reason}}"),
], w=12, x=12, unit="pps")

row("Protocol inspection (L7 constraints)")
panel("timeseries", "Constrained flows per second by first-payload outcome", [
    t(f'sum by (protocol, outcome) (rate(wardgate_l7_flows_total{{{SEL},outcome!="inspected"}}[{RI}]))',
      "{{protocol}} {{outcome}}"),
], w=12, x=0, unit="ops", newline=False,
    desc="allowed / violated (enforce: dropped, monitor: would-deny) / uninspected (no verdict "
         "within the 512-byte budget or 5 s: the class's on_failure applied).")
panel("table", "L7 violations and uninspected flows by class and protocol (over the time range)", [
    t(f'sum by (class, protocol, outcome) (increase(wardgate_l7_flows_total{{{SEL},outcome=~"violated|uninspected"}}[$__range])) > 0',
      "", instant=True, fmt="table"),
], w=12, x=12,
    desc="The reasons are the drop reasons (wardgate_drops_total) and the audit log's reason field.")

row("Staged policy (issue 13: differences before promotion)")
panel("timeseries", "Staged policy: new flows it would treat differently, per second", [
    t(f'sum by (src_class, dst_class, difference) (rate(wardgate_staged_flows_total{{{SEL}}}[{RI}]))',
      "{{src_class}} -> {{dst_class}} {{difference}}"),
], w=12, x=0, unit="ops", newline=False,
    desc="would_deny: forwarded now, dropped once the staged policy is merged; would_allow: "
         "dropped now, forwarded then. New flows only. Goes to zero when the staged policy "
         "matches the traffic (and once it is promoted).")
panel("table", "Staged differences by class pair (over the time range)", [
    t(f'sum by (src_class, dst_class, staged_src_class, staged_dst_class, difference) (increase(wardgate_staged_flows_total{{{SEL}}}[$__range])) > 0',
      "", instant=True, fmt="table"),
    t(f'max(wardgate_staged_policy_identical{{{SEL}}})', "identical", instant=True),
], w=12, x=12,
    desc="Class names as the enforced policy (src/dst) and the staged policy (staged_*) see the "
         "ends. wardgate_staged_policy_identical is 1 once the staged content is enforced.")

row("Flow table and dataplane health")
panel("timeseries", "Flow table", [
    t(f'wardgate_flow_table_entries{{{SEL}}}', "{{instance}} entries"),
    t(f'wardgate_flow_table_capacity{{{SEL}}}', "{{instance}} capacity"),
], w=8, x=0, newline=False)
panel("gauge", "Flow table occupancy", [
    t(f'max(wardgate_flow_table_occupancy_ratio{{{SEL}}})', "", instant=True),
], w=4, x=8, unit="percentunit", newline=False,
    thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.7},
                {"color": "red", "value": 0.85}])
panel("timeseries", "New flows per second", [
    t(f'sum by (instance) (rate(wardgate_new_flows_total{{{SEL}}}[{RI}]))', "{{instance}}"),
], w=12, x=12, unit="ops")
panel("stat", "Dataplane up", [
    t(f'min(wardgate_dataplane_up{{{SEL}}})', "", instant=True),
], w=4, x=0, newline=False,
    thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}])
panel("stat", "Fail-open active", [
    t(f'max(wardgate_dataplane_fail_open{{{SEL}}})', "", instant=True),
], w=4, x=4, newline=False,
    thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}])
panel("timeseries", "Worker busy ratio", [
    t(f'wardgate_worker_busy_ratio{{{SEL}}}', "{{instance}} lcore {{lcore}}"),
], w=8, x=8, unit="percentunit", newline=False)
panel("timeseries", "Worker heartbeat age and mempool use", [
    t(f'wardgate_worker_heartbeat_age_seconds{{{SEL}}}', "{{instance}} lcore {{lcore}} heartbeat age (s)"),
    t(f'wardgate_mempool_use_ratio{{{SEL}}}', "{{instance}} mempool use"),
], w=8, x=16)

row("Policy")
panel("stat", "Last reload", [
    t(f'min(wardgate_policy_last_reload_success{{{SEL}}})', "", instant=True),
], w=4, x=0, newline=False,
    thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}],
    extra={"options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}},
    desc="1 = ok/unchanged, 0 = rejected or not pushed (the previous policy keeps running).")
panel("table", "Running policy (commit, hash, generation)", [
    t(f'wardgate_policy_info{{{SEL}}}', "", instant=True, fmt="table"),
    t(f'wardgate_policy_generation{{{SEL}}}', "", instant=True, fmt="table"),
], w=12, x=4, newline=False)
panel("timeseries", "Reloads by result", [
    t(f'sum by (result) (increase(wardgate_policy_reload_total{{{SEL}}}[{RI}]))', "{{result}}"),
], w=8, x=16)

dashboard = {
    "uid": "wardgate-overview",
    "title": "wardgate gateways",
    "tags": ["wardgate", "microsegmentation"],
    "timezone": "utc",
    "schemaVersion": 36,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1},
        {"name": "instance", "label": "Gateway", "type": "query", "datasource": DS,
         "query": {"query": "label_values(wardgate_dataplane_up, instance)", "refId": "instance"},
         "definition": "label_values(wardgate_dataplane_up, instance)",
         "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "refresh": 2,
         "hide": 0},
    ]},
    "annotations": {"list": [
        {"name": "Policy reloads", "datasource": DS, "enable": True, "iconColor": "blue",
         "expr": f'changes(wardgate_policy_generation{{{SEL}}}[1m]) > 0',
         "titleFormat": "policy reload", "textFormat": "generation changed on {{instance}}"},
    ]},
    "panels": panels,
}

if __name__ == "__main__":
    write(dashboard, "wardgate.json")
