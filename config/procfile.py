"""``make run``: the Procfile's web, worker and beat under honcho, stopped cleanly by Ctrl-C.

honcho stops every process on SIGINT or SIGTERM (it sends each its own SIGTERM) and
then exits 130 or 143, which ``make`` reports as an error. Run as
``python -m config.procfile [honcho start options]``, the same stop exits 0; any other
exit status (a process that failed on its own) is passed on. docs/development.md,
"A quiet console".
"""

from __future__ import annotations

import sys

from honcho.command import main as honcho

# honcho's exit statuses after it stopped everything on SIGINT / SIGTERM.
STOPPED_BY_SIGNAL = (130, 143)


def main(argv: list[str]) -> int:
    try:
        honcho(["start", "-f", "Procfile", *argv])
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        return 0 if code in STOPPED_BY_SIGNAL else code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
