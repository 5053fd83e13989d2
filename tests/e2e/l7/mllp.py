#!/usr/bin/python3
"""MLLP peers for the HL7 e2e test (stdlib only).

  mllp.py listen HOST PORT LOG SECONDS
      An HL7 receiver: accepts connections for at most SECONDS, answers every
      MLLP-framed message with an ACK (MSA|AA, echoing MSH-10) and appends
      "MSG <MSH-3> <MSH-9>" to LOG; bytes that are not MLLP go to LOG as
      "RAW <n> bytes". Prints "listening" once bound.
  mllp.py raw HOST PORT TEXT SECONDS
      Connects, sends TEXT (Python escapes allowed, e.g. "SSH-2.0-x\\r\\n") and
      prints what came back: "reply <n> bytes", "closed", "reset" or "timeout".
      Exits 0 only on a reply.
"""
import select
import socket
import sys
import time

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def ack_for(msg: bytes) -> bytes:
    seg = msg.split(b"\r")[0]
    fs = seg[3:4] or b"|"
    f = seg.split(fs)
    ctrl = f[9] if len(f) > 9 else b""
    ack = (b"MSH" + fs + b"^~\\&" + fs + b"HL7ENGINE" + fs + b"CORE" + fs + (f[2] if len(f) > 2 else b"")
           + fs + fs + b"20260101000000" + fs + fs + b"ACK^R01" + fs + b"ACK" + ctrl + fs + b"P" + fs + b"2.6"
           + CR + b"MSA" + fs + b"AA" + fs + ctrl + CR)
    return SB + ack + EB + CR


def listen(host, port, log, seconds):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(8)
    print("listening", flush=True)
    end = time.monotonic() + float(seconds)
    conns = {}
    with open(log, "a", buffering=1) as out:
        while time.monotonic() < end:
            r, _, _ = select.select([srv] + list(conns), [], [], 0.2)
            for s in r:
                if s is srv:
                    c, _ = srv.accept()
                    conns[c] = b""
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    if conns[s] and not conns[s].startswith(SB):
                        out.write("RAW %d bytes\n" % len(conns[s]))
                    del conns[s]
                    s.close()
                    continue
                buf = conns[s] + data
                while buf.startswith(SB) and EB + CR in buf:
                    msg, buf = buf[1:].split(EB + CR, 1)
                    seg = msg.split(b"\r")[0]
                    f = seg.split(seg[3:4] or b"|")
                    out.write("MSG %s %s\n" % (f[2].decode(errors="replace") if len(f) > 2 else "",
                                               f[8].decode(errors="replace") if len(f) > 8 else ""))
                    s.sendall(ack_for(msg))
                conns[s] = buf


def raw(host, port, text, seconds):
    data = text.encode().decode("unicode_escape").encode("latin-1")
    try:
        s = socket.create_connection((host, int(port)), timeout=float(seconds))
        s.sendall(data)
        got = s.recv(65536)
    except socket.timeout:
        print("timeout")
        return 1
    except ConnectionResetError:
        print("reset")
        return 1
    except OSError as e:
        print("error %s" % e)
        return 1
    if not got:
        print("closed")
        return 1
    print("reply %d bytes" % len(got))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "listen":
        listen(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "raw":
        sys.exit(raw(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
