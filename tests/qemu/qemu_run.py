"""Running one QEMU boot for the test scripts: says which QEMU it is, prints the command, enforces
the timeout (a hung kernel fails the test, never the suite) and judges the output."""
import argparse
import subprocess
import sys


def case_main(doc, cases, timeout, extra=None):
    """The command line every case script shares: --image, --case, --list, --timeout (and what
    `extra(parser)` adds). Prints the case names and exits for --list; else returns (args, case)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image")
    p.add_argument("--case")
    p.add_argument("--list", action="store_true")
    p.add_argument("--timeout", type=float, default=timeout)
    if extra:
        extra(p)
    a = p.parse_args()
    if a.list:
        print(";".join(cases))
        sys.exit(0)
    if a.case not in cases:
        p.error("unknown case %r (--list shows them)" % a.case)
    return a, cases[a.case]


def run_boot(cmd, timeout, hang_message):
    """Runs cmd; on timeout prints what came out and fails with hang_message. Returns (status, output)."""
    ver = subprocess.run([cmd[0], "--version"], capture_output=True, text=True).stdout.splitlines()
    print("QEMU: %s (%s)" % (cmd[0], ver[0] if ver else "version unknown"))
    print("+ " + " ".join(cmd))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        sys.stdout.write((e.stdout or b"").decode("utf-8", "replace"))
        print("\nFAIL: %s within %.0f s" % (hang_message, timeout))
        sys.exit(1)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").replace("\r\n", "\n")
    sys.stdout.write(out)
    return r.returncode, out


def problems(status, out, want_status, lines, forbidden):
    """What is wrong with a finished boot: the status, missing lines, forbidden text."""
    bad = []
    if status != want_status:
        bad.append("exit status %d, expected %d" % (status, want_status))
    bad += ["missing: %r" % line for line in lines if line not in out]
    bad += ["reported: %r" % f for f in forbidden if f in out]
    return bad


def finish(bad):
    if bad:
        print("\nFAIL: " + "; ".join(bad))
        sys.exit(1)
