"""Parsing OpenOCD's answers to `monitor` commands (no gdb here, so the host tests can run it).

Not run against a real OpenOCD on this machine: the formats are those of OpenOCD 0.12's `mdd`
("0x<address>: <64-bit word> <64-bit word> ...") and `aarch64 mrs` (the value in hex).
"""
import re


def parse_mdd(text, start, words):
    """The little-endian bytes of `words` 64-bit words that `mdd phys <start> <words>` printed,
    or None when the output does not hold them all."""
    data = bytearray()
    expect = start
    for line in text.splitlines():
        m = re.match(r"\s*0x([0-9a-fA-F]+):\s*(.*)", line)
        if not m:
            continue
        if int(m.group(1), 16) != expect:
            return None
        for w in m.group(2).split():
            if not re.fullmatch(r"[0-9a-fA-F]{1,16}", w):
                break
            data += int(w, 16).to_bytes(8, "little")
            expect += 8
    return bytes(data) if len(data) >= words * 8 else None


def parse_mrs(text):
    """The value `aarch64 mrs ...` printed (its last hex number), or None."""
    m = re.findall(r"0x[0-9a-fA-F]+", text or "")
    return int(m[-1], 16) if m else None
