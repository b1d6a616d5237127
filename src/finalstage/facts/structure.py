"""The structure-test fact: container-structure-test YAML run on the merged filesystem.

File, metadata and licence tests read the merged tree (the few files they need are read again
from just the layers that own their visible version); command tests run the image with podman,
or are skipped with the reason when they cannot run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finalstage.fs.merge import MergedTree
from finalstage.image.image import Image
from finalstage.image.layers import scan_layer
from finalstage.cst import (
    CstConfig,
    CstResult,
    ImageMetadata,
    TreeView,
    needed_files,
    podman_image_ref,
    podman_runner,
    run_cst,
)

_MAX_CAPTURE = 16 << 20   # bytes read per file for the content tests


@dataclass(frozen=True)
class StructureTests:
    """What the structure-test fact needs: the loaded test files and how to run commands."""

    configs: tuple[CstConfig, ...] = ()   # loaded before the image is read
    run_commands: bool = True
    image_ref: str | None = None    # the reference podman runs command tests against


def run_structure_tests(configs: Sequence[CstConfig], image: Image, tree: MergedTree, *,
                        image_ref: str | None, run_commands: bool) -> tuple[CstResult, ...]:
    """Every test of ``configs`` on ``image``; a failing test is a result, never an error."""
    cfg = image.config
    view = TreeView(tree)
    view.contents = read_files(image, tree, needed_files(configs, view, dict(cfg.env)))
    metadata = ImageMetadata(env=cfg.env, labels=cfg.labels, entrypoint=cfg.entrypoint,
                             cmd=cfg.cmd, workdir=cfg.workdir, user=cfg.user,
                             exposed_ports=cfg.exposed_ports, volumes=cfg.volumes)
    runner = None
    reason = "command tests need podman (not found)"
    if any(t.kind == "command" for c in configs for t in c.tests):
        if not run_commands:
            reason = "command tests disabled"
        else:
            runner = podman_runner(podman_image_ref(image_ref or image.reference))
    results: list[CstResult] = []
    for config in configs:
        results.extend(run_cst(config, view, metadata, runner=runner, skip_reason=reason))
    return tuple(results)


def read_files(image: Image, tree: MergedTree, paths: set[str]) -> dict[str, bytes]:
    """Read ``paths`` (absolute) from the layers that own their visible version only."""
    by_layer: dict[int, set[str]] = {}
    for path in paths:
        entry = tree.get(path.lstrip("/"))
        if entry is not None and entry.kind == "f":
            by_layer.setdefault(entry.layer, set()).add(entry.path)
    out: dict[str, bytes] = {}
    handles = image.core.layers()
    for layer, names in sorted(by_layer.items()):
        def want(path: str, size: int, mode: int, names: set[str] = names) -> int:
            return min(size, _MAX_CAPTURE) if path.strip("/") in names else 0

        scan = scan_layer(handles[layer], layer, want=want, limits=image.limits,
                          verify=image.verify)
        for name, data in scan.captured.items():
            if name.strip("/") in names:
                out[name.strip("/")] = data
    return out


__all__ = ["StructureTests", "read_files", "run_structure_tests"]
