"""What the fake GitHub and the fake Jira share: contract violations and held creates."""

from __future__ import annotations

import threading


class Violation(AssertionError):
    pass


class ContractFake:
    """A fake that records contract violations and can hold concurrent creations.

    Subclasses call ``_wait_if_held`` at the start of each request, with whether the
    request creates an issue.
    """

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._held: threading.Barrier | None = None
        self.held_out = False  # a held create waited in vain

    def check(self) -> None:
        if self.violations:
            raise Violation("contract violations:\n" + "\n".join(self.violations))

    def hold_creates(self, parties: int = 2, timeout: float = 10.0) -> None:
        """Hold the next issue creations until ``parties`` of them have arrived (at most
        ``timeout`` seconds, then ``held_out``), so that concurrent runs both miss before
        either creates. Once; it needs a threaded server."""
        self._held = threading.Barrier(parties, timeout=timeout)

    def _wait_if_held(self, creates: bool) -> None:
        held = self._held
        if held is None or not creates:
            return
        try:
            held.wait()
        except threading.BrokenBarrierError:
            self.held_out = True
        self._held = None
