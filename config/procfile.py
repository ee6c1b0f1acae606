"""``make run``: the Procfile's web, worker and beat under honcho, stopped cleanly by Ctrl-C.

honcho stops every process on SIGINT or SIGTERM (it sends each its own SIGTERM) and
then exits 130 or 143, which ``make`` reports as an error. Run as
``python -m config.procfile [honcho start options]``, the same stop exits 0; any other
exit status (a process that failed on its own) is passed on.

Ctrl-C in a terminal signals the whole foreground process group, ``make`` included,
and GNU make answers a SIGINT of its own with "Interrupt" and status 130 whatever its
recipe does. So, on a terminal, this process first makes itself the terminal's
foreground group (as a shell's job control does): Ctrl-C then reaches it alone, it
stops the processes, gives the terminal back and exits 0, and make with it.
docs/development.md, "A quiet console".
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable

from honcho.command import main as honcho

# honcho's exit statuses after it stopped everything on SIGINT / SIGTERM.
STOPPED_BY_SIGNAL = (130, 143)


def main(argv: list[str]) -> int:
    give_back = take_terminal()
    try:
        honcho(["start", "-f", "Procfile", *argv])
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        return 0 if code in STOPPED_BY_SIGNAL else code
    finally:
        give_back()
    return 0


def take_terminal() -> Callable[[], None]:
    """Become the foreground process group of the terminal on standard input, if
    there is one; returns what gives the terminal back to the group that had it."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            return lambda: None
        previous = os.tcgetpgrp(fd)
        os.setpgid(0, 0)
        # A background group changing the foreground group gets SIGTTOU: ignored.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(fd, os.getpgrp())
    except (OSError, ValueError):
        return lambda: None

    def give_back() -> None:
        with contextlib.suppress(OSError):  # the terminal is gone: nothing to give back
            os.tcsetpgrp(fd, previous)

    return give_back


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
