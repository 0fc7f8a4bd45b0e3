#!/usr/bin/env python3
"""Prints the kernel image's size per part and its static page-table memory (run after each link)."""
import subprocess
import sys

nm, elf = sys.argv[1], sys.argv[2]
sym = {}
fixmap_tables = 0  # bm_pud, bm_pmd, bm_pte (arch/arm64/early_fixmap.cpp): their sizes follow the granule
for line in subprocess.run([nm, elf], check=True, capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3:
        sym[p[2]] = int(p[0], 16)
for line in subprocess.run([nm, "-S", "-C", elf], check=True, capture_output=True, text=True).stdout.splitlines():
    p = line.split(None, 3)
    if len(p) == 4 and p[3].rsplit("::", 1)[-1] in ("bm_pud", "bm_pmd", "bm_pte"):
        fixmap_tables += int(p[1], 16)


def span(a, b):
    return (sym.get(b, 0) - sym.get(a, 0)) // 1024


print("kernel: text %d KiB, rodata %d KiB, data %d KiB, bss %d KiB, stacks %d KiB, early page tables %d KiB "
      "(+ %d KiB fixmap tables in bss), image_size %d KiB" %
      (span("_text", "_etext"), span("_srodata", "_erodata"), span("_sdata", "__bss_start"),
       span("__bss_start", "__bss_stop"), span("overflow_stack", "init_stack_top"), span("init_pg_dir", "idmap_pg_end"),
       fixmap_tables // 1024, span("_text", "_end")))
