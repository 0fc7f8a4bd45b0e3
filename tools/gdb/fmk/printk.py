"""The kernel's log ring (lib/printk.cpp: g_log, g_log_head, g_log_wrapped) as lines, without gdb."""


def ring_lines(ring, head, wrapped):
    """The lines of the ring, oldest first. `ring` is the whole buffer when `wrapped` (the oldest byte
    is at `head`, and the oldest line, cut by the wrap, is dropped), else its first `head` bytes.
    A last line without its newline (being printed) is kept."""
    if wrapped:
        data = ring[head:] + ring[:head]
        data = data[data.find(b"\n") + 1:]
    else:
        data = ring[:head]
    lines = data.decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
