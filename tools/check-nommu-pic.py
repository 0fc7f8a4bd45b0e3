#!/usr/bin/env python3
"""Checks that an AArch64 relocatable object can run at an address other than the one it is linked
at, as drivers/tty/nommu_console.cpp must (head.S calls it with the MMU off, at the kernel image's
physical address, while the image is linked at KIMAGE_VADDR).

  check-nommu-pic.py [--readelf READELF] OBJECT

Fails (status 1, one line per offence) when a section that is loaded (not .debug_*) has a
relocation other than:
  R_AARCH64_ADR_PREL_PG_HI21, R_AARCH64_ADR_PREL_LO21          adrp / adr: PC-relative
  R_AARCH64_ADD_ABS_LO12_NC, R_AARCH64_LDST{8..128}_ABS_LO12_NC the low 12 bits after an adrp: the
                                                               same in any 4 KiB-aligned copy
  R_AARCH64_LD_PREL_LO19, R_AARCH64_CONDBR19, R_AARCH64_TSTBR14 PC-relative loads and branches
  R_AARCH64_CALL26, R_AARCH64_JUMP26                            bl / b, to a symbol defined in this
                                                               object (anything else may be
                                                               absolute-address code: libfdt, memcpy)
or when any relocation of a loaded section names an undefined symbol. R_AARCH64_ABS64 in .rodata,
.data, .init_array or a vtable is the case this exists for: a link-time (virtual) address stored
in data, which the MMU-off code would dereference at an unmapped address. Debug sections are not
loaded and may hold anything.
"""
import argparse
import re
import subprocess
import sys

PC_RELATIVE = {
    "R_AARCH64_ADR_PREL_PG_HI21", "R_AARCH64_ADR_PREL_LO21", "R_AARCH64_ADD_ABS_LO12_NC",
    "R_AARCH64_LDST8_ABS_LO12_NC", "R_AARCH64_LDST16_ABS_LO12_NC", "R_AARCH64_LDST32_ABS_LO12_NC",
    "R_AARCH64_LDST64_ABS_LO12_NC", "R_AARCH64_LDST128_ABS_LO12_NC",
    "R_AARCH64_LD_PREL_LO19", "R_AARCH64_CONDBR19", "R_AARCH64_TSTBR14",
}
BRANCHES = {"R_AARCH64_CALL26", "R_AARCH64_JUMP26"}


def readelf(tool, flags, obj):
    r = subprocess.run([tool, "-W"] + flags + [obj], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("check-nommu-pic: %s %s failed: %s" % (tool, " ".join(flags), r.stderr.strip()))
    return r.stdout


def symbols(tool, obj):
    """name -> defined? from the symbol table (section symbols by their section's name)."""
    out = {}
    for line in readelf(tool, ["-s"], obj).splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx [Name]
        if len(f) < 7 or not f[0].endswith(":") or not f[0][:-1].isdigit():
            continue
        name = f[7] if len(f) > 7 else ""
        if name:
            out[name] = out.get(name, False) or f[6] != "UND"
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--readelf", default="readelf")
    p.add_argument("object")
    a = p.parse_args()

    defined = symbols(a.readelf, a.object)
    bad, checked, section = [], 0, None
    for line in readelf(a.readelf, ["-r"], a.object).splitlines():
        m = re.match(r"Relocation section '\.rela?(\S+)'", line)
        if m:
            section = m.group(1)
            continue
        f = line.split()
        if section is None or len(f) < 3 or not re.fullmatch(r"[0-9a-f]+", f[0]) or not f[2].startswith("R_"):
            continue
        if section.startswith(".debug_"):
            continue  # not loaded: DWARF addresses are the link-time ones by design
        checked += 1
        kind = f[2]
        # Offset Info Type Sym.Value Sym.Name + Addend; the name is absent for a bare addend.
        sym = f[4] if len(f) > 4 and f[4] not in ("+", "-") else ""
        where = "%s+0x%s: %s %s" % (section, f[0].lstrip("0") or "0", kind, sym or "(no symbol)")
        if sym and not defined.get(sym, sym.startswith(".")):
            bad.append("%s: refers to an undefined symbol (code or data outside this object)" % where)
        elif kind in BRANCHES:
            if not sym:
                bad.append("%s: a branch without a symbol" % where)
        elif kind not in PC_RELATIVE:
            bad.append("%s: not PC-relative (a link-time address in a loaded section)" % where)
    undefined = sorted(n for n, d in defined.items() if not d)
    for n in undefined:
        bad.append("undefined symbol %s: this object depends on code or data outside it" % n)
    if bad:
        print("check-nommu-pic: %s is not position independent:" % a.object)
        for b in bad:
            print("  " + b)
        sys.exit(1)
    print("check-nommu-pic: %s: %d relocations in loaded sections, all PC-relative or to its own symbols"
          % (a.object, checked))


if __name__ == "__main__":
    main()
