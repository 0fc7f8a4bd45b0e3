#!/usr/bin/env python3
"""Every tool's --help is its own text, instant (nothing is built or installed first), on stdout
with exit status 0; a missing option value is a one-line message with exit status 2, never a bash
line number."""
import os
import subprocess
import tempfile
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Checks  # noqa: E402

check = Checks()
top, dtb_probe = sys.argv[1], sys.argv[2]

TOOLS = {  # tool: a phrase its help must contain
    "tools/run-qemu": "tools/run-qemu [options] [-- kernel command line]",
    "tools/run-tests": "usage: tools/run-tests [--quick] [ctest options]",
    "tools/mksdcard": "tools/mksdcard [--out FILE]",
    "tools/fuzz": "tools/fuzz [--minutes N]",
    "tools/install-deps": "Usage: tools/install-deps [--quiet]",
    "tools/bench": "tools/bench [--quick] [--no-build]",
    "tools/perf-check": "tools/perf-check [--update]",
    dtb_probe: "usage: dtb-probe [--json]",
}
for tool, phrase in TOOLS.items():
    cmd = [tool if os.path.isabs(tool) else os.path.join(top, tool), "--help"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    name = os.path.basename(tool)
    check(r.returncode == 0, "%s --help: exit 0 (got %d)" % (name, r.returncode))
    check(phrase in r.stdout, "%s --help: its own usage on stdout" % name)
    check("set -euo" not in r.stdout and "source " not in r.stdout and "#!/" not in r.stdout,
          "%s --help: no script source" % name)
    check("building" not in (r.stdout + r.stderr) and took < 5, "%s --help: instant, builds nothing (%.1f s)" % (name, took))

for opt in ["--mem", "--smp", "--cpu", "--board", "--gic", "--granule"]:
    r = subprocess.run([os.path.join(top, "tools/run-qemu"), opt], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and r.stderr.startswith("run-qemu: %s needs " % opt) and "line " not in r.stderr,
          "run-qemu %s without a value: one line, exit 2 (%r)" % (opt, r.stderr.strip()))
r = subprocess.run([os.path.join(top, "tools/run-qemu"), "--frobnicate"], capture_output=True, text=True)
check(r.returncode == 2 and "unknown option '--frobnicate'" in r.stderr, "run-qemu: an unknown option, exit 2")
r = subprocess.run([os.path.join(top, "tools/run-qemu"), "--granule", "8k"], capture_output=True, text=True)
check(r.returncode == 2 and r.stderr.strip() == "run-qemu: --granule must be 4k, 16k or 64k (got '8k')",
      "run-qemu --granule 8k: one line naming the three granules, exit 2 (%r)" % r.stderr.strip())
# The build option: a wrong GRANULE stops cmake with the same choice, before anything is built.
with tempfile.TemporaryDirectory() as d:
    r = subprocess.run(["cmake", "-S", top, "-B", d, "-DGRANULE=8k"], capture_output=True, text=True, timeout=120)
    check(r.returncode != 0 and "GRANULE must be 4k, 16k or 64k, not '8k'" in r.stderr,
          "cmake -DGRANULE=8k: refused with the choice (%r)" % r.stderr.strip()[-200:])
check.finish()
