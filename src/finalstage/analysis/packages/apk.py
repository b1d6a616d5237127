"""apk: ``/lib/apk/db/installed``.

One block per package, blank-line separated, ``X:value`` lines: ``P`` name, ``V`` version, ``A``
arch, ``I`` installed size in bytes, ``F`` a directory and the ``R`` lines after it the files in
that directory.
"""

from __future__ import annotations

from finalstage.analysis.packages.model import Ecosystem, Package, ParseResult, decode

INSTALLED = "lib/apk/db/installed"


def parse_installed(data: bytes, location: str = INSTALLED) -> ParseResult:
    """Packages and owned files of an apk installed database."""
    packages: list[Package] = []
    warnings: list[str] = []
    block: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    number = 0

    def flush() -> None:
        nonlocal block, files, directory, number
        if block or files:
            number += 1
            name = block.get("P")
            if not name:
                warnings.append(f"{location}: block {number} has no P: (name) line: skipped")
            else:
                size: int | None = None
                if "I" in block:
                    try:
                        size = int(block["I"])
                    except ValueError:
                        warnings.append(f"{location}: {name}: bad I: size {block['I'][:40]!r}")
                packages.append(Package(
                    ecosystem=Ecosystem.APK, name=name, version=block.get("V", ""),
                    location=location, installed_size=size, files=tuple(files),
                    arch=block.get("A"), license=block.get("L") or None,
                ))
        block, files, directory = {}, [], ""

    for line in decode(data).splitlines():
        if not line.strip():
            flush()
            continue
        key, sep, value = line.partition(":")
        if not sep or len(key) != 1:
            continue  # not an apk field line: ignored, the rest of the block may still be good
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            files.append(f"{directory}/{value}" if directory else value)
        elif key in "PVAI" and key not in block:
            block[key] = value
    flush()
    return ParseResult(tuple(packages), tuple(warnings))
