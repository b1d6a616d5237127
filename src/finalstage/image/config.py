"""The image config (``application/vnd.oci.image.config.v1+json``), parsed into frozen data.

Tolerant of what real builders write: missing ``config``, ``null`` lists, legacy v1 ``json``
files without ``rootfs``, history entries with ``empty_layer``. Wrong *types* are a corrupt
image, reported with the field name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from finalstage.errors import CorruptImageError


@dataclass(frozen=True)
class HistoryEntry:
    created: str | None
    created_by: str | None
    comment: str | None
    is_empty_layer: bool


@dataclass(frozen=True)
class ImageConfig:
    os: str | None
    architecture: str | None
    variant: str | None
    created: str | None
    user: str | None
    entrypoint: tuple[str, ...] | None
    cmd: tuple[str, ...] | None
    env: tuple[tuple[str, str], ...]
    workdir: str | None
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    stop_signal: str | None
    history: tuple[HistoryEntry, ...]
    diff_ids: tuple[str, ...] | None
    raw: dict[str, Any]

    @property
    def is_entrypoint_shell_form(self) -> bool:
        """``ENTRYPOINT cmd`` (shell form) is stored as ``["/bin/sh", "-c", "cmd"]``."""
        return _is_shell_form(self.entrypoint)

    @property
    def is_cmd_shell_form(self) -> bool:
        return _is_shell_form(self.cmd)

    def layer_history(self) -> list[HistoryEntry | None]:
        """History entries that created a layer, in layer order (``empty_layer`` ones skipped)."""
        return [h for h in self.history if not h.is_empty_layer]


# What `ENTRYPOINT cmd` / `CMD cmd` (shell form) are stored as: the builder's SHELL, then `-c`
# (`cmd /S /C` on Windows). The one definition of shell form: every rule and report uses it.
_SHELLS = ("/bin/sh", "sh", "/bin/bash", "bash", "/bin/ash", "ash", "/usr/bin/sh",
           "/usr/bin/bash", "/bin/dash", "cmd", "cmd.exe")


def _is_shell_form(argv: tuple[str, ...] | None) -> bool:
    return (
        argv is not None and len(argv) >= 2 and argv[0] in _SHELLS and argv[1] in ("-c", "/S", "/C")
    )


def _str(v: Any, what: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise CorruptImageError(f"reading image config: {what} is not a string")
    return v


def _argv(v: Any, what: str) -> tuple[str, ...] | None:
    if v is None:
        return None
    if isinstance(v, str):  # some ancient builders wrote a plain string
        return (v,)
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise CorruptImageError(f"reading image config: {what} is not a list of strings")
    return tuple(v)


def _keys(v: Any, what: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, dict):
        raise CorruptImageError(f"reading image config: {what} is not an object")
    return tuple(sorted(str(k) for k in v))


def parse_config(raw: bytes) -> ImageConfig:
    """Parse raw config bytes; bad JSON or wrong types → CorruptImageError."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise CorruptImageError(f"reading image config: invalid json: {err}") from err
    if not isinstance(doc, dict):
        raise CorruptImageError("reading image config: not a json object")
    # Not ``container_config``: that is the build container's config, not the image's.
    c = doc.get("config")
    if c is None:
        c = {}
    if not isinstance(c, dict):
        raise CorruptImageError("reading image config: config is not an object")
    env = _env(c.get("Env"))
    labels_raw = c.get("Labels") or {}
    if not isinstance(labels_raw, dict):
        raise CorruptImageError("reading image config: Labels is not an object")
    history = _history(doc.get("history"))
    diff_ids = _diff_ids(doc.get("rootfs"))
    return ImageConfig(
        os=_str(doc.get("os"), "os"),
        architecture=_str(doc.get("architecture"), "architecture"),
        variant=_str(doc.get("variant"), "variant"),
        created=_str(doc.get("created"), "created"),
        user=_str(c.get("User"), "User") or None,
        entrypoint=_argv(c.get("Entrypoint"), "Entrypoint"),
        cmd=_argv(c.get("Cmd"), "Cmd"),
        env=env,
        workdir=_str(c.get("WorkingDir"), "WorkingDir") or None,
        exposed_ports=_keys(c.get("ExposedPorts"), "ExposedPorts"),
        volumes=_keys(c.get("Volumes"), "Volumes"),
        labels=tuple(sorted((str(k), str(v)) for k, v in labels_raw.items())),
        stop_signal=_str(c.get("StopSignal"), "StopSignal"),
        history=tuple(history),
        diff_ids=diff_ids,
        raw=doc,
    )


def _env(env_raw: Any) -> tuple[tuple[str, str], ...]:
    """``Env``'s ``NAME=value`` strings as pairs."""
    env_raw = env_raw or []
    if not isinstance(env_raw, list):
        raise CorruptImageError("reading image config: Env is not a list")
    env: list[tuple[str, str]] = []
    for item in env_raw:
        if not isinstance(item, str):
            raise CorruptImageError("reading image config: Env entry is not a string")
        name, _, value = item.partition("=")
        env.append((name, value))
    return tuple(env)


def _history(history_raw: Any) -> list[HistoryEntry]:
    history_raw = history_raw or []
    if not isinstance(history_raw, list):
        raise CorruptImageError("reading image config: history is not a list")
    history: list[HistoryEntry] = []
    for h in history_raw:
        if not isinstance(h, dict):
            raise CorruptImageError("reading image config: history entry is not an object")
        history.append(
            HistoryEntry(
                created=_str(h.get("created"), "history.created"),
                created_by=_str(h.get("created_by"), "history.created_by"),
                comment=_str(h.get("comment"), "history.comment"),
                is_empty_layer=bool(h.get("empty_layer", False)),
            )
        )
    return history


def _diff_ids(rootfs: Any) -> tuple[str, ...] | None:
    """``rootfs.diff_ids``; None when the config has none (legacy v1 ``json`` files)."""
    if not isinstance(rootfs, dict) or rootfs.get("diff_ids") is None:
        return None
    ids = rootfs["diff_ids"]
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        raise CorruptImageError("reading image config: rootfs.diff_ids is not a list of strings")
    return tuple(ids)
