"""A tiny progress bar on stderr for long runs.

``Progress(enabled=...)`` is a callable ``(done, total, what)``, the shape ``assemble`` reports
in. It draws ``label [#####.....]  42/100 what`` on one line, redrawing with ``\\r`` at most
every ``interval`` seconds (and always at the end), and ``close()`` clears the line. It is
enabled only when the stream is a terminal and the user did not ask for ``--quiet``, so piped or
logged output never contains control characters.
"""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str = "", *, stream=None, enabled: bool | None = None,
                 width: int = 30, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.label, self.width, self.interval = label, width, interval
        self._last_draw = 0.0
        self._shown = 0

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        filled = self.width * done // total if total else self.width
        line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{done}/{total} {what}").rstrip()
        self.stream.write("\r" + line.ljust(self._shown))
        self.stream.flush()
        self._shown = len(line)

    def close(self) -> None:
        """Erase the bar so the lines printed after it start clean."""
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0
