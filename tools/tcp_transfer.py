#!/usr/bin/python3
"""Bounded TCP transfer and probes for e2e tests and the demo:
  serve IP PORT        accept one connection, print the SHA-256 and byte
                       count of what it received
  send IP PORT N       send N pseudo-random bytes, print their SHA-256
  listen IP PORT S     print "listening", then "accepted" if a connection
                       arrives within S seconds (a policy should drop it)
  connect IP PORT [S]  print "connected" or "failed: REASON" (S s, default 3)
All of them time out."""
import hashlib
import os
import socket
import sys


def _listener(ip, port, timeout):
    """A bound, listening socket; prints "listening" (wait_listening in topo.sh)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(4)
    s.settimeout(timeout)
    print("listening", flush=True)
    return s


def serve(ip, port, timeout=20):
    s = _listener(ip, port, timeout)
    c, _ = s.accept()
    c.settimeout(timeout)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(h.hexdigest(), n, flush=True)


def send(ip, port, n, timeout=20):
    data = os.urandom(n)
    s = socket.create_connection((ip, port), timeout=timeout)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # wait for the server's close
    print(hashlib.sha256(data).hexdigest(), n, flush=True)


def listen(ip, port, seconds):
    s = _listener(ip, port, seconds)
    try:
        s.accept()
        print("accepted", flush=True)
    except socket.timeout:
        pass


def connect(ip, port, seconds):
    s = socket.socket()
    s.settimeout(seconds)
    try:
        s.connect((ip, port))
        print("connected", flush=True)
    except OSError as e:
        print("failed:", e, flush=True)


if __name__ == "__main__":
    cmd, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "serve":
        serve(ip, port)
    elif cmd == "send":
        send(ip, port, int(sys.argv[4]))
    elif cmd == "listen":
        listen(ip, port, float(sys.argv[4]))
    elif cmd == "connect":
        connect(ip, port, float(sys.argv[4]) if len(sys.argv) > 4 else 3.0)
    else:
        sys.exit(f"unknown command {cmd}")
