#!/usr/bin/env python3
"""Draws the kernel's virtual memory layout as SVG from what the running kernel reports.

  tools/gen-layout-svg.py KERNEL8_IMG OUT.svg

Boots the image under QEMU (-m 1G) with the monitor, asks it for `fixmap` (every slot, live or
free), reads the "Virtual kernel memory layout" block from the boot log, and draws both: the
kernel half of the address space on the left, the fixmap magnified on the right. Only values that
come from the layout itself (not from the image's current size) are drawn, so the picture changes
exactly when the layout does; tests/docs/test_docs.py regenerates it and compares.
"""
import os
import re
import select
import subprocess
import sys
import time

image, out = sys.argv[1], sys.argv[2]
p = subprocess.Popen(["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "1G", "-nographic", "-nic", "none",
                      "-no-reboot", "-semihosting-config", "enable=on,target=native", "-kernel", image, "-append", "shell"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf, deadline, sent = b"", time.time() + 60, 0
while time.time() < deadline:
    r, _, _ = select.select([p.stdout], [], [], 1)
    if r:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
    prompts = buf.count(b"fixmap-kernel> ")
    if prompts == 1 and sent == 0:
        p.stdin.write(b"fixmap\r"); p.stdin.flush(); sent = 1
    elif prompts == 2 and sent == 1:
        p.stdin.write(b"poweroff\r"); p.stdin.flush(); sent = 2
p.wait(timeout=20)
log = buf.decode("utf-8", "replace")
regions = {m[0]: (int(m[1], 16), int(m[2], 16)) for m in
           re.findall(r"^\[[^\]]*\]\s+(fixmap|vmalloc|linear|\.text)\s*: 0x([0-9a-f]+) - 0x([0-9a-f]+)", log, re.M)}
slots = []
for name, va, pages in re.findall(r"fixmap: (FIX_\S+(?: slot \d)?)\s+va=0x([0-9a-f]+)\s+(?:pa=0x[0-9a-f]+\s+)?(\d+) page",
                                  log.split("fixmap-kernel> fixmap")[-1]):
    if name == "FIX_FDT":
        name, pages = "FIX_FDT..FIX_FDT_END", 513  # the whole window (the listing counts live pages)
    slots.append((name, int(va, 16), int(pages)))
if not regions or not slots:
    sys.exit("gen-layout-svg: could not read the layout from the kernel's output")

W, H = 1000, 660
s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="12">' % (W, H),
     '<rect width="100%" height="100%" fill="white"/>',
     '<text x="20" y="24" font-size="15" font-family="sans-serif">fixmap-kernel: kernel virtual memory '
     '(48-bit VA, 4 KiB pages), as reported by the running kernel</text>']
left = [("linear map (RAM, 1 GiB here)", regions["linear"][0], "#cfe8cf"),
        ("kernel image (.text ...)", regions[".text"][0], "#f4d6a0"),
        ("vmalloc / ioremap", regions["vmalloc"][0], "#d6e0f4"),
        ("fixmap", regions["fixmap"][0], "#f4c0c0")]
y = 50
s.append('<text x="20" y="%d" font-family="sans-serif">TTBR1 half, 0xffff000000000000 and up (not to scale)</text>' % y)
for i, (label, start, color) in enumerate(left):
    top = 70 + i * 120
    s.append('<rect x="20" y="%d" width="300" height="90" fill="%s" stroke="black"/>' % (top, color))
    s.append('<text x="30" y="%d" font-family="sans-serif">%s</text>' % (top + 40, label))
    s.append('<text x="30" y="%d">0x%016x</text>' % (top + 62, start))
fx0, fx1 = regions["fixmap"]
s.append('<text x="380" y="50" font-family="sans-serif">fixmap 0x%016x - 0x%016x (index i at FIXADDR_TOP - i pages)'
         '</text>' % (fx0, fx1))
span = fx1 - fx0
top, height = 90, 480
s.append('<line x1="320" y1="%d" x2="380" y2="%d" stroke="gray"/>' % (70 + 3 * 120, top))
s.append('<line x1="320" y1="%d" x2="380" y2="%d" stroke="gray"/>' % (70 + 3 * 120 + 90, top + height))
colors = {"FIX_FDT..FIX_FDT_END": "#f7e3a1", "FIX_EARLYCON_MEM_BASE": "#b7dfb7", "FIX_TEXT_POKE0": "#f0b0b0"}
label_y = 0
for name, va, pages in sorted(slots, key=lambda x: -x[1]):  # from the top of the area down
    y0 = top + (fx1 - (va + pages * 4096)) * height / span
    h = max(pages * 4096 * height / span, 2)
    color = colors.get(name, "#d6e0f4" if "BTMAP" in name else "#e0d0f0")
    s.append('<rect x="380" y="%.1f" width="200" height="%.1f" fill="%s" stroke="black" stroke-width="0.5"/>' %
             (y0, h, color))
    ly = max(y0 + h / 2 + 4, label_y + 14)  # keep labels of single pages apart
    label_y = ly
    s.append('<line x1="580" y1="%.1f" x2="600" y2="%.1f" stroke="gray"/>' % (y0 + h / 2, ly - 4))
    s.append('<text x="604" y="%.1f">%-22s 0x%016x %3d page%s</text>' % (ly, name, va, pages,
                                                                        "s" if pages > 1 else ""))
s.append('<text x="380" y="%d" font-family="sans-serif">(top) FIX_HOLE, index 0, is the unmapped page at '
         'FIXADDR_TOP = 0x%016x</text>' % (top - 8, fx1))
s.append("</svg>")
open(out, "w").write("\n".join(s) + "\n")
print("gen-layout-svg: wrote %s (%d fixmap slot groups)" % (out, len(slots)))
