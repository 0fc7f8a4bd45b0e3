#!/usr/bin/env python3
"""The boot matrix as a pairwise covering array.

Factors: CPU model, entry EL (EL2 means PSCI through smc, EL1 through hvc), RAM, CPUs online,
GIC version, and where the DTB sits (where QEMU puts it, or near the top of RAM through a minimal
loader). The full product is 6 x 2 x 3 x 4 x 2 x 2 = 576 boots; a boot failing because of one
factor or an interaction of two shows up in a covering array where every pair of values of every
two factors occurs in at least one configuration: 25 boots here (24 is the least possible with
6 CPUs x 4 CPU counts), each running every in-kernel KTAP suite.

  matrix_configs.py           one configuration per line: cpu el mem smp gic dtb (for CMake)
  matrix_configs.py --check   verify that every pair is covered (a CTest case)
"""
import itertools
import sys

FACTORS = [
    ("cpu", ["cortex-a53", "cortex-a57", "cortex-a72", "cortex-a76", "neoverse-n1", "max"]),
    ("smp", ["1", "2", "4", "8"]),
    ("el", ["1", "2"]),
    ("mem", ["128M", "1G", "8G"]),
    ("gic", ["2", "3"]),
    ("dtb", ["qemu", "high"]),
]


def pairs_of(cfg):
    return {(i, cfg[i], j, cfg[j]) for i, j in itertools.combinations(range(len(cfg)), 2)}


def generate():
    """Deterministic greedy: the two largest factors' product as rows, the other factors chosen
    value by value to cover the most pairs not yet covered (ties: the first value)."""
    todo = set()
    for i, j in itertools.combinations(range(len(FACTORS)), 2):
        for a in FACTORS[i][1]:
            for b in FACTORS[j][1]:
                todo.add((i, a, j, b))
    rows = []
    for a, b in itertools.product(FACTORS[0][1], FACTORS[1][1]):
        cfg = [a, b]
        for k in range(2, len(FACTORS)):
            best = max(FACTORS[k][1], key=lambda v: (sum(
                (i, cfg[i], k, v) in todo for i in range(k)), -FACTORS[k][1].index(v)))
            cfg.append(best)
        todo -= pairs_of(cfg)
        rows.append(cfg)
    # Pairs the greedy pass left: one more row each, filled with the first values.
    while todo:
        i, a, j, b = sorted(todo)[0]
        cfg = [f[1][0] for f in FACTORS]
        cfg[i], cfg[j] = a, b
        todo -= pairs_of(cfg)
        rows.append(cfg)
    return rows


def uncovered(rows):
    need = set()
    for i, j in itertools.combinations(range(len(FACTORS)), 2):
        need |= {(i, a, j, b) for a in FACTORS[i][1] for b in FACTORS[j][1]}
    for r in rows:
        need -= pairs_of(r)
    return need


rows = generate()
if "--check" in sys.argv:
    missing = uncovered(rows)
    for i, a, j, b in sorted(missing):
        print("not covered: %s=%s with %s=%s" % (FACTORS[i][0], a, FACTORS[j][0], b))
    print("%d configurations cover every pair of %d factors (full product: %d)" %
          (len(rows), len(FACTORS), eval("*".join(str(len(f[1])) for f in FACTORS))))
    sys.exit(1 if missing else 0)
order = [n for n, _ in FACTORS]
for r in rows:
    d = dict(zip(order, r))
    print(d["cpu"], d["el"], d["mem"], d["smp"], d["gic"], d["dtb"])
