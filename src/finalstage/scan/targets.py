"""What a fleet scan reads: references from a file, a registry's catalog, or podman storage.

Registry targets are ``docker://HOST/REPO:TAG``; ``--repo`` filters repositories with a shell
glob; ``--tags`` is ``latest`` (repositories without it are left out), ``all``, or ``N-newest``
(the N most recently created tags of each repository, by their configs' ``created``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from finalstage.errors import FinalstageError, UsageError
from finalstage.image.registry.catalog import list_repositories, list_tags
from finalstage.image.storagemeta import list_images
from finalstage.scan.tasks import STORAGE, Source, read_meta

_NEWEST = re.compile(r"^([1-9][0-9]*)-newest$")


def from_file(path: str | Path) -> list[str]:
    """One reference per line; blank lines and ``#`` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"reading image list {path}: {getattr(err, 'strerror', None) or err}"
                         ) from err
    refs = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [ref for ref in refs if ref]


def parse_tags(value: str) -> int | None:
    """``latest`` → 0, ``all`` → None, ``N-newest`` → N; UsageError otherwise."""
    if value == "latest":
        return 0
    if value == "all":
        return None
    match = _NEWEST.match(value)
    if match is None:
        raise UsageError(f"invalid --tags {value!r}: use latest, all or N-newest (3-newest)")
    return int(match.group(1))


def from_registry(host: str, source: Source, *, repo: str | None = None,
                  tags: str = "latest") -> list[str]:
    """The images of the registry at ``host`` that ``repo`` and ``tags`` select."""
    host = host.removeprefix("docker://").rstrip("/")
    keep = parse_tags(tags)
    options = {"tls_verify": source.tls_verify, "auth_file": source.auth_file,
               "limits": source.limits}
    repos = [r for r in list_repositories(host, **options)
             if repo is None or fnmatch.fnmatchcase(r, repo)]
    refs: list[str] = []
    for name in sorted(repos):
        found = sorted(list_tags(host, name, **options))
        if keep == 0:
            found = [t for t in found if t == "latest"]
        refs.extend(f"docker://{host}/{name}:{tag}" for tag in found)
    if keep:
        refs = newest(refs, keep, source)
    return refs


def newest(refs: Sequence[str], n: int, source: Source) -> list[str]:
    """The ``n`` most recently created tags of each repository (ties: the greater tag);
    an image whose config cannot be read stays in, so the scan reports its error."""
    def created(ref: str) -> str:
        try:
            return read_meta(ref, source).created or ""
        except FinalstageError:
            return "\uffff"

    with ThreadPoolExecutor(8) as pool:
        stamps = dict(zip(refs, pool.map(created, refs)))
    by_repo: dict[str, list[str]] = {}
    for ref in refs:
        by_repo.setdefault(ref.rpartition(":")[0], []).append(ref)
    out: list[str] = []
    for repo_refs in by_repo.values():
        ranked = sorted(repo_refs, key=lambda r: (stamps[r], r.rpartition(":")[2]), reverse=True)
        out.extend(sorted(ranked[:n]))
    return out


def from_storage() -> list[str]:
    """Every named image of local podman storage."""
    return [STORAGE + name for name in list_images()]


__all__ = ["from_file", "from_registry", "from_storage", "newest", "parse_tags"]
