"""gdb helpers for fixmap-kernel (tools/gdb/fixmap_kernel.py loads them)."""
