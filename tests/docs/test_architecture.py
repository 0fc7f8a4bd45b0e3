#!/usr/bin/env python3
"""docs/ARCHITECTURE.md's layer table is the rule; this test holds the code to it. Every
#include "x/..." of a source or header file must name a layer the file's own layer may include,
and nothing outside arch/ may include an arch/ path.

  test_architecture.py <top>
"""
import os
import re
import sys

top = sys.argv[1]
doc = open(os.path.join(top, "docs", "ARCHITECTURE.md")).read()
rules = {}
for layer, allowed in re.findall(r"^\| ([a-z/]+) \| ([a-z, ]+) \|$", doc, re.M):
    rules[layer] = {a.strip() for a in allowed.split(",")}
if len(rules) < 8:
    print("FAIL: could not read the layer table from docs/ARCHITECTURE.md (found %d rows)" % len(rules))
    sys.exit(1)


def layer_of(path):
    parts = path.split("/")
    if parts[0] == "include":
        # include/libfdt_env.h (libfdt's environment for a freestanding build) sits with kernel/.
        return "include/" + parts[1] if len(parts) > 2 else "include/kernel"
    return parts[0]


bad, checked = [], 0
for root in ("lib", "mm", "drivers", "kernel", "init", "arch", "include"):
    for dirpath, _, files in os.walk(os.path.join(top, root)):
        for f in files:
            if not f.endswith((".cpp", ".h", ".S")):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), top)
            layer = layer_of(rel)
            if layer not in rules:
                bad.append("%s: layer %s is not in the table" % (rel, layer))
                continue
            for n, line in enumerate(open(os.path.join(top, rel)), 1):
                m = re.match(r'\s*#\s*include\s+"([a-z_0-9]+)/', line)
                if not m:
                    continue
                checked += 1
                target = m.group(1)
                if target == "arch" and layer != "arch":
                    bad.append("%s:%d includes an arch/ path: use include/asm" % (rel, n))
                elif target not in rules[layer]:
                    bad.append("%s:%d: layer %s includes %s/ (allowed: %s)" % (rel, n, layer, target,
                                                                             ", ".join(sorted(rules[layer]))))
for b in bad:
    print("FAIL: " + b)
print("%d passed, %d failed" % (checked - len(bad), len(bad)))
sys.exit(1 if bad else 0)
