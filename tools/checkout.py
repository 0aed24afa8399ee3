"""The files of a clean clone, copied: what the packaging test and the start-up benchmark
build the wheel from (a build from the working tree would pick up caches, .venv and build
directories)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_checkout(root: Path, target: Path) -> Path:
    """Copy the files a clean clone of ``root`` has (tracked and new ones, not ignored ones)
    under ``target``, and return ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = root / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target
