"""``python3 -m pnetstat``: the same as the ``pnetstat`` command."""

import gc

gc.disable()  # as the installed command does (scripts/pnetstat says why)

from pnetstat.cli import run  # noqa: E402

if __name__ == "__main__":
    run()
