"""Progress bar (stderr) with bytes and rate, and the time/throughput summary lines."""

import sys
import time

from .util import human_bytes


class Progress:
    """Redraws at most every 0.2 s; on a non-terminal prints one line per 10% instead."""

    def __init__(self, label, total, stream=None, clock=time.monotonic):
        self.label = label
        self.total = max(int(total), 0)
        self.done = 0
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.last_draw = 0.0
        self.last_decile = -1
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def advance(self, n):
        self.done += n
        now = self.clock()
        if self.tty:
            if now - self.last_draw >= 0.2:
                self.last_draw = now
                self._draw(now, end="\r")
            return
        decile = (self.done * 10 // self.total) if self.total else 10
        if decile != self.last_decile:
            self.last_decile = decile
            self._draw(now, end="\n")

    def rate(self, now=None):
        elapsed = max((now or self.clock()) - self.start, 1e-6)
        return self.done / elapsed

    def _draw(self, now, end):
        pct = 100.0 * self.done / self.total if self.total else 100.0
        width = 30
        filled = int(width * pct / 100)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"{self.label} [{bar}] {pct:5.1f}% {human_bytes(self.done)}/"
                          f"{human_bytes(self.total)} {human_bytes(self.rate(now))}/s{end}")
        self.stream.flush()

    def finish(self):
        self._draw(self.clock(), end="\n")
        return self.clock() - self.start


def throughput_line(what, nbytes, seconds):
    seconds = max(seconds, 1e-6)
    return (f"{what}: {human_bytes(nbytes)} in {seconds:.1f} s "
            f"({human_bytes(nbytes / seconds)}/s)")
