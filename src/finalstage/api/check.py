"""``check``: the CI gate — every rule the settings select on the image and, with its
Dockerfile, on both, every image finding tied to the Dockerfile line that made its layer.

::

    >>> from finalstage import check
    >>> report = check("examples/images/busybox-fat.tar",
    ...                dockerfile="examples/busybox/Dockerfile.fat",
    ...                policy="examples/finalstage.toml")
    >>> report.exit_code, sorted({f.rule for f in report.findings})[:3]
    (1, ['FS103', 'FS111', 'FS205'])

Everything the user wrote (policy, structure tests, baseline, Dockerfile) is read and validated
before the image, so a typo fails in milliseconds, not after a 2 GB read.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from finalstage.api.lint import SettingsArg, resolve_settings
from finalstage.api.source import open_image, source_notes
from finalstage.cst import load_cst
from finalstage.dockerfile import load
from finalstage.engine import baseline as baselines
from finalstage.engine import evaluate
from finalstage.engine.verdicts import CheckDetail, policy_verdicts
from finalstage.facts import Facts
from finalstage.facts.imagefacts import ImageFacts, Progress
from finalstage.facts.structure import StructureTests
from finalstage.facts.summary import summarize_image
from finalstage.findings import Report, Severity
from finalstage.image.image import Image
from finalstage.limits import Limits


def check(
    image: str | Image,
    *,
    dockerfile: str | Path | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    policy: SettingsArg = None,
    cst: Sequence[str | Path] = (),
    baseline: str | Path | None = None,
    write_baseline: str | Path | None = None,
    fail_on: Severity | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severities: Mapping[str, Severity] | None = None,
    platform: str | None = None,
    limits: Limits | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    run_commands: bool = True,
    podman_args: Sequence[str] = (),
    progress: Progress | None = None,
    reverify: bool = False,
) -> Report:
    """Gate ``image`` (a reference or an opened ``Image``). ``policy`` is a ``Settings``, a
    settings/policy file, or None for the nearest ``finalstage.toml`` above the Dockerfile (else
    the working directory). Structure tests' commands run under podman with its own
    configuration, ``podman_args`` (global options such as ``--runtime``) overriding it.
    Raises FinalstageError subclasses on bad input."""
    start = Path(dockerfile).parent if dockerfile else Path.cwd()
    settings = resolve_settings(policy, start, select=select, ignore=ignore, fail_on=fail_on,
                                severities=severities)
    configs = tuple(load_cst(path) for path in cst)
    known = baselines.read_baseline(baseline) if baseline is not None else None
    parsed = load(dockerfile, build_args=build_args or {}, target=target) if dockerfile else None
    typed = image
    if not isinstance(image, Image):
        image = open_image(image, platform=platform, limits=limits, tls_verify=tls_verify,
                           auth_file=auth_file, reverify=reverify, keep_records=True)
    images = ImageFacts(image, progress=progress,
                        structure_tests=StructureTests(configs, run_commands, image.reference,
                                                       tuple(podman_args)))
    facts = Facts(dockerfile=parsed, dockerfile_path=str(dockerfile) if dockerfile else None,
                  target=target, image=images)
    targets = (image.reference,) + ((str(dockerfile),) if dockerfile else ())
    report = evaluate(facts, settings, command="check", targets=targets, baseline=known)
    if write_baseline is not None:
        baselines.write_baseline(write_baseline, report.findings + report.suppressed)
    detail = CheckDetail(
        image=image.reference, policy=settings.source,
        verdicts=policy_verdicts(settings, report.outcomes),
        structure_tests=facts.structure_tests if configs else (),
        attribution=facts.attribution,
        size=sum(s.uncompressed_size for s in facts.scans),
        compressed_size=sum(s.compressed_size for s in facts.scans),
        summary=functools.cache(functools.partial(summarize_image, facts)))
    return dataclasses.replace(report, detail=detail,
                               notes=source_notes(typed, image) + report.notes)


__all__ = ["check"]
