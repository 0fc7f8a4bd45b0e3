#!/usr/bin/env python3
"""Docs that drift fail CI: runs every `console` transcript in README.md and docs/*.md, and
regenerates docs/memory-layout.svg from the running kernel.

In a ```console block, a line starting with "$ " is a command (run with bash from the repository
root, 120 s timeout); the lines after it must each appear in its output, in order. "..." matches
any text (alone on a line: any number of lines); a leading "[ seconds ]" timestamp matches any time.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

top = sys.argv[1]
failures, checked = [], 0


def line_regex(expect):
    expect = re.sub(r"^\[\s*\d+\.\d+\]", "[TS]", expect)
    parts = [re.escape(p) for p in expect.split("...")]
    return re.compile(".*".join(parts).replace(re.escape("[TS]"), r"\[\s*\d+\.\d+\]"))


def check_transcript(doc, cmd, expected):
    global checked
    checked += 1
    r = subprocess.run(["bash", "-c", cmd], cwd=top, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = (r.stdout + r.stderr).replace("\r\n", "\n").replace("\r", "\n").splitlines()
    pos = 0
    for exp in expected:
        if exp.strip() == "...":
            continue
        rx = line_regex(exp.rstrip())
        while pos < len(out) and not rx.fullmatch(out[pos].rstrip()):
            pos += 1
        if pos == len(out):
            failures.append("%s: `%s`: no output line matches %r" % (doc, cmd, exp))
            print("\n".join(out[-40:]))
            return
        pos += 1
    print("ok     %s: %s" % (doc, cmd))


for doc in [os.path.join(top, "README.md")] + sorted(glob.glob(os.path.join(top, "docs", "*.md"))):
    text = open(doc).read()
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        cmd, expected = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if cmd:
                    check_transcript(os.path.basename(doc), cmd, expected)
                cmd, expected = line[2:], []
            elif cmd is not None:
                expected.append(line)
        if cmd:
            check_transcript(os.path.basename(doc), cmd, expected)

# A ```cpp block whose first line is "// from <path>" quotes that file: it must do so verbatim,
# so a compiled example (e.g. tests/kernel/ktest_fixmap_example.cpp) and its doc cannot drift.
for doc in [os.path.join(top, "README.md")] + sorted(glob.glob(os.path.join(top, "docs", "*.md"))):
    for block in re.findall(r"```cpp\n(.*?)```", open(doc).read(), re.S):
        m = re.match(r"// from (\S+)\n", block)
        if not m:
            continue
        checked += 1
        src = os.path.join(top, m.group(1))
        if not os.path.exists(src) or block[m.end():] not in open(src).read():
            failures.append("%s: the code quoted from %s is not in that file verbatim" % (os.path.basename(doc),
                                                                                       m.group(1)))
        else:
            print("ok     %s: quotes %s verbatim" % (os.path.basename(doc), m.group(1)))

with tempfile.TemporaryDirectory() as d:
    svg = os.path.join(d, "layout.svg")
    subprocess.run([sys.executable, os.path.join(top, "tools/gen-layout-svg.py"),
                    os.path.join(top, "build/kernel/kernel8.img"), svg], check=True, capture_output=True)
    checked += 1
    if open(svg).read() != open(os.path.join(top, "docs/memory-layout.svg")).read():
        failures.append("docs/memory-layout.svg is out of date: run tools/gen-layout-svg.py build/kernel/kernel8.img "
                        "docs/memory-layout.svg")
    else:
        print("ok     docs/memory-layout.svg matches the running kernel")

for f in failures:
    print("FAILED " + f)
print("%d passed, %d failed" % (checked - len(failures), len(failures)))
sys.exit(1 if failures else 0)
