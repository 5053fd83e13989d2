"""Metric names the control plane serves, read from its sample exporter
(every family with a fake snapshot): shared by the dashboard checks."""
import subprocess


def served_metrics(sample):
    served = set()
    out = subprocess.run([sample], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("# TYPE "):
            name, typ = line.split()[2:4]
            served.add(name)
            if typ == "histogram":
                served |= {name + "_bucket", name + "_count", name + "_sum"}
    return served
