#!/usr/bin/env python3
"""head.S writes init_pg_dir and the idmap with the MMU and caches off. TCG models no caches, so no
boot can show a missing invalidate; this test reads the built kernel's own instructions instead
(docs/architecture-rules.md): in create_page_tables, both table areas are invalidated to PoC
(dc ivac via dcache_inval_poc) and a dsb completes that BEFORE the first store, and after the last
table store a `dmb sy` orders the Device-memory stores before the final invalidates.

  test_head_cache_maintenance.py build/kernel/kernel.elf
"""
import re
import subprocess
import sys

elf = sys.argv[1]
out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", elf], check=True,
                     capture_output=True, text=True).stdout
m = re.search(r"<create_page_tables>:\n(.*?)\n\n", out, re.S)
if not m:
    print("FAIL: no create_page_tables in %s" % elf)
    sys.exit(1)
insns = [l.split("\t", 1)[1].strip() for l in m.group(1).splitlines() if "\t" in l]
stores = [i for i, s in enumerate(insns) if re.match(r"str\s", s)]
invals = [i for i, s in enumerate(insns) if s.startswith("bl") and "<dcache_inval_poc>" in s]
bad = []
if len(invals) != 4:
    bad.append("expected 4 calls of dcache_inval_poc (2 areas, before and after), found %d" % len(invals))
else:
    first_store, last_store = stores[0], stores[-1]
    before = [i for i in invals if i < first_store]
    after = [i for i in invals if i > last_store]
    if len(before) != 2:
        bad.append("the table areas are not both invalidated before the first store")
    elif not any(insns[i].startswith("dsb") for i in range(before[-1], first_store)):
        bad.append("no dsb between the first invalidates and the first store")
    if len(after) != 2:
        bad.append("the table areas are not both invalidated after the last store")
    elif not any(insns[i] == "dmb\tsy" or re.match(r"dmb\s+sy", insns[i]) for i in range(last_store, after[0])):
        bad.append("no `dmb sy` between the last table store and the final invalidates")
for b in bad:
    print("FAIL: " + b)
print("%d passed, %d failed" % (4 - len(bad), len(bad)))
sys.exit(1 if bad else 0)
