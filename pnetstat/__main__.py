"""``python3 -m pnetstat``: the same as the ``pnetstat`` command."""

from pnetstat.cli import run

if __name__ == "__main__":
    run()
