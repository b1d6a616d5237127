"""Real binaries of the machine running the tests, as ELF samples for the readers."""

from __future__ import annotations

import os
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
_DIRS = ("/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu", "/usr/lib/gcc")


def host_elf_files(limit: int, max_size: int = 40 << 20) -> list[Path]:
    """Up to ``limit`` ELF files (no symlinks, at most ``max_size`` bytes) from the host's
    binary and library directories, in a stable order."""
    out: list[Path] = []
    for directory in _DIRS:
        if not os.path.isdir(directory):
            continue
        for dirpath, _, names in os.walk(directory):
            for name in sorted(names):
                path = Path(dirpath) / name
                if path.is_symlink() or not path.is_file() or path.stat().st_size > max_size:
                    continue
                with path.open("rb") as handle:
                    if handle.read(4) == ELF_MAGIC:
                        out.append(path)
                if len(out) >= limit:
                    return out
    return out
