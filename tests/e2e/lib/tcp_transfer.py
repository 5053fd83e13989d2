#!/usr/bin/python3
"""Bounded TCP transfer for e2e tests: `serve IP PORT` accepts one connection
and prints the SHA-256 and byte count of what it received; `send IP PORT N`
sends N pseudo-random bytes and prints their SHA-256. Both time out."""
import hashlib
import os
import socket
import sys


def serve(ip, port, timeout=20):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(1)
    s.settimeout(timeout)
    print("listening", flush=True)
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


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
