"""Progress for long calls: a tqdm bar when tqdm is importable, else one stderr line."""
from __future__ import annotations

import sys
import time


class Progress:
    """``total`` steps (None: unknown), each reported by the C++ side through ``callback()``
    as (done, total) of the current step's folds / runs; ``advance()`` ends a step."""

    def __init__(self, total, description: str, enabled: bool = True):
        self.enabled = enabled
        self.total = total
        self.description = description
        self.done = 0
        self._bar = None
        self._last = 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
            self._bar = tqdm(total=total, desc=description, leave=False)
        except ImportError:
            self._bar = None

    def describe(self, text: str) -> None:
        self.description = text
        if self._bar is not None:
            self._bar.set_description(text)
        elif self.enabled:
            self._line("")

    def callback(self):
        """The (done, total) reporter handed to C++; with progress off it still lets Ctrl-C
        through (the C++ side checks for signals at every report)."""
        if not self.enabled:
            return None

        def report(done: int, total: int) -> None:
            if self._bar is not None:
                self._bar.set_postfix_str(f"{done}/{total}", refresh=False)
                now = time.monotonic()
                if now - self._last > 0.2:
                    self._bar.refresh()
                    self._last = now
            else:
                self._line(f" ({done}/{total})")
        return report

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
        elif self.enabled:
            self._line("")

    def _line(self, extra: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and extra:
            return
        self._last = now
        of = f"/{self.total}" if self.total else ""
        sys.stderr.write(f"\r{self.description}: {self.done}{of}{extra}\033[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
