"""What the Python tests that drive wardgate-dataplane on net_pcap share
(tests/pcap/run_scenario.py, tests/e2e/safety/safety_pcap.py): TAP output,
`pcap-tool ctl`, the dataplane's command line on two pcap ports, waiting for
its socket and stopping it (also when the test failed)."""
import atexit
import os
import signal
import subprocess
import sys
import time


class Tap:
    """tap(ok, what, diag): one TAP line (diagnostic lines only on failure);
    tap.finish() prints the plan and exits, non-zero if a check failed or
    none ran."""

    def __init__(self, prefix="", diag_lines=40):
        self.results = []
        self.prefix = prefix
        self.diag_lines = diag_lines

    def __call__(self, ok, what, diag=None):
        self.results.append(bool(ok))
        print(f"{'ok' if ok else 'not ok'} {len(self.results)} - {self.prefix}{what}")
        if not ok and diag is not None:
            for line in str(diag).splitlines()[:self.diag_lines]:
                print(f"#   {line}")
        sys.stdout.flush()

    def finish(self):
        print(f"1..{len(self.results)}")
        sys.exit(0 if self.results and all(self.results) else 1)


def ctl(tool, sock, *args, check=True):
    """`pcap-tool ctl SOCK ARGS`: its stdout; raises if it fails (check)."""
    r = subprocess.run([tool, "ctl", sock, *args], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"pcap-tool ctl {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


def dataplane_cmd(dp, prefix, inp, out, sock, *args):
    """The dataplane on net_pcap: clinical and core ports read inp[side] and
    write out[side]; `prefix` must be unique per process (add the pid). DPDK
    leaves an empty runtime directory per prefix: removed when the test exits."""
    atexit.register(_remove_runtime_dir, prefix)
    return [dp, "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "-l", "0",
            "--file-prefix", prefix, "--log-level", "lib.*:error",
            "--vdev", f"net_pcap0,rx_pcap={inp['clinical']},tx_pcap={out['clinical']}",
            "--vdev", f"net_pcap1,rx_pcap={inp['core']},tx_pcap={out['core']}",
            "--", "--clinical", "net_pcap0", "--core", "net_pcap1", "--socket", sock, *args]


def _remove_runtime_dir(prefix):
    try:
        os.rmdir(os.path.join("/var/run/dpdk", prefix))
    except OSError:
        pass


def wait_socket(sock, proc, seconds=10):
    """Until the management socket exists or the process has exited."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not os.path.exists(sock) and proc.poll() is None:
        time.sleep(0.02)


def stop(proc):
    """SIGTERM (the dataplane closes its ports: tx pcaps are flushed), SIGKILL after 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
