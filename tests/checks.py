"""Shared by the Python test scripts: named checks, a closing "N passed, N failed" line."""
import sys


class Checks:
    def __init__(self):
        self.count = 0
        self.failures = []

    def __call__(self, cond, what):
        self.count += 1
        print(("ok     " if cond else "FAILED ") + what)
        if not cond:
            self.failures.append(what)
        return cond

    def fail(self, what):
        self(False, what)

    def finish(self):
        print("%d passed, %d failed" % (self.count - len(self.failures), len(self.failures)))
        sys.exit(1 if self.failures else 0)
