"""Minimal pcap reader/writer for the golden tests (classic libpcap format,
micro- or nanosecond timestamps). Kept dependency-free so the runner and the
generator agree on every byte."""
import struct

LINKTYPE_ETHERNET = 1


def write(path, frames):
    """frames: list of (timestamp_seconds_float, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for ts, data in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def read(path):
    """Returns the list of frame byte strings, in file order."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24:
        raise ValueError(f"{path}: not a pcap file ({len(raw)} bytes)")
    magic = struct.unpack("<I", raw[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError(f"{path}: bad pcap magic {magic:#x}")
    out, off = [], 24
    while off + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(end + "IIII", raw[off:off + 16])
        off += 16
        out.append(raw[off:off + incl])
        off += incl
    return out
