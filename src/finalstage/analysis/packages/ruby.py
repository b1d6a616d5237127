"""Ruby gems: ``…/specifications/<name>-<version>.gemspec`` (name and version from the file name).

The gem's files are the sibling ``gems/<name>-<version>/`` tree; no gemspec content is needed.
"""

from __future__ import annotations

import posixpath

from finalstage.analysis.packages.model import Ecosystem, Package


def is_gemspec(path: str) -> bool:
    """True for ``…/specifications/*.gemspec``."""
    return path.endswith(".gemspec") and "/specifications/" in f"/{path}"


def package_from_gemspec_path(path: str) -> Package | None:
    """``…/specifications/rack-3.0.8.gemspec`` → rack 3.0.8 (the version is what follows the
    last ``-`` that starts a digit; platform gems keep their suffix: ``nokogiri-1.15.4-x86_64-linux``)."""
    stem = posixpath.basename(path)[: -len(".gemspec")]
    cut = -1
    for i, char in enumerate(stem):
        if char == "-" and i + 1 < len(stem) and stem[i + 1].isdigit():
            cut = i
            break
    if cut <= 0:
        return None
    gem_home = posixpath.dirname(posixpath.dirname(path))
    return Package(Ecosystem.GEM, stem[:cut], stem[cut + 1:], path,
                   files=(posixpath.join(gem_home, "gems", stem),))
