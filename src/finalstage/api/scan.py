"""``scan``: a fleet of images — a list of references, a registry, local podman storage —
ranked by the bytes fixes would remove, shared layers counted once.

::

    >>> from finalstage import scan
    >>> report = scan(["examples/images/busybox-fat.tar", "examples/images/busybox-minimal.tar"],
    ...               workers=1)                                   # doctest: +SKIP
    >>> report.detail.totals.images, report.detail.fixes[0].kind   # doctest: +SKIP
    (2, 'waste')

The fleet payload is ``report.detail`` (``finalstage.scan.model.FleetReport``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from finalstage.api.lint import resolve_settings
from finalstage.errors import UsageError
from finalstage.findings import Report, Severity
from finalstage.fs.cache import default_dir
from finalstage.limits import Limits
from finalstage.scan import targets
from finalstage.scan.backends import make_backend
from finalstage.scan.rank import DEFAULT_TOP
from finalstage.scan.run import Judging, ProgressFn, scan_fleet
from finalstage.scan.store import ScanStore
from finalstage.scan.tasks import Source


def scan(
    images: str | Path | Sequence[str] | None = None,
    *,
    registry: str | None = None,
    repo: str | None = None,
    tags: str = "latest",
    containers_storage: bool = False,
    policy: str | Path | None = None,
    fail_on: Severity | None = None,
    fail_on_error: bool = False,
    backend: str = "process",
    workers: int | None = None,
    ray_address: str | None = None,
    top: int = DEFAULT_TOP,
    platform: str | None = None,
    limits: Limits | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    cache_dir: str | Path | None = None,
    elf: bool = False,
    progress: ProgressFn | None = None,
) -> Report:
    """Scan the images of ``images`` (a file of references, or a list of them), of
    ``registry`` (``HOST[:PORT]``, with ``repo`` a glob and ``tags`` latest|all|N-newest) or of
    local podman storage; exactly one source. ``policy`` (a settings file; default the
    nearest ``finalstage.toml``) judges each image as ``check`` would. ``backend`` is
    ``process`` (``workers`` processes, default the CPU count) or ``ray`` (``ray_address``,
    or a local Ray). Results persist under ``cache_dir`` (default the layer cache directory).
    Errors on single images are listed in the report; with ``fail_on_error`` they fail it.
    """
    if top < 1:
        raise UsageError(f"invalid --top {top}: use 1 or more")
    settings = resolve_settings(policy, Path.cwd(), fail_on=fail_on)
    directory = Path(cache_dir) if cache_dir is not None else default_dir()
    source = Source(platform, tls_verify, auth_file, limits, str(directory), elf)
    label, refs = _targets(images, registry, repo, tags, containers_storage, source)
    # The file the settings came from, which each worker reads again ("pyproject.toml
    # [tool.finalstage]" names the table: the file is what load_settings takes).
    policy_file = settings.source.removesuffix(" [tool.finalstage]") if settings.source \
        else None
    judging = Judging(policy_file, fail_on.value if fail_on else None,
                      _fingerprint(policy_file, fail_on))
    runner = make_backend(backend, workers=workers or os.cpu_count() or 1, address=ray_address)
    store = ScanStore(directory)
    try:
        fleet = scan_fleet(refs, label=label, source=source, backend=runner, store=store,
                           judging=judging, top=top, progress=progress)
    finally:
        runner.close()
        store.close()
    if fail_on_error and fleet.errors:
        fleet = dataclasses.replace(fleet, is_failed=True)
    return Report(command="scan", findings=(), targets=(label,), detail=fleet,
                  fail_on=settings.fail_on or Severity.ERROR, failure=fleet.is_failed)


def _targets(images: str | Path | Sequence[str] | None, registry: str | None, repo: str | None,
             tags: str, containers_storage: bool, source: Source) -> tuple[str, list[str]]:
    """The label of the fleet and its references, from exactly one source."""
    given = [images is not None, registry is not None, containers_storage]
    if sum(given) != 1:
        raise UsageError("scan needs exactly one of --images FILE, --registry HOST or "
                         "--containers-storage")
    if repo is not None and registry is None:
        raise UsageError("--repo needs --registry")
    if registry is not None:
        return f"registry {registry}", targets.from_registry(registry, source, repo=repo,
                                                              tags=tags)
    if containers_storage:
        return "containers-storage", targets.from_storage()
    if isinstance(images, (str, Path)):
        return f"images {images}", targets.from_file(images)
    refs = list(images or ())
    return f"{len(refs)} images", refs


def _fingerprint(policy: str | None, fail_on: Severity | None) -> str:
    """What the verdicts depend on besides the image: the policy file's bytes and fail-on."""
    digest = hashlib.sha256(str(fail_on.value if fail_on else "").encode())
    if policy:
        try:
            digest.update(Path(policy).read_bytes())
        except OSError:
            digest.update(policy.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


__all__ = ["scan"]
