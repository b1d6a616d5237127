"""The types of the structure tests: a config and its tests, a result, and what they run on (a
filesystem view, the image metadata, a command runner)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class FileStat:
    """One merged-filesystem entry, as a tar header describes it."""

    kind: str                 # "file", "dir", "symlink", "hardlink", "char", "block", "fifo"
    mode: int                 # permission bits incl. setuid/setgid/sticky (0o7777)
    uid: int
    gid: int
    size: int = 0
    link: str | None = None   # symlink target, or hardlink target path
    layer: int | None = None


class FileSystemView(Protocol):
    """What the structure tests need from the merged filesystem. Paths are absolute."""

    def lstat(self, path: str) -> FileStat | None:
        """The entry at ``path`` itself (a symlink is not followed), or None."""
        ...

    def listdir(self, path: str) -> Sequence[str] | None:
        """Names in directory ``path``, or None when it is not a directory."""
        ...

    def read(self, path: str) -> bytes | None:
        """The bytes of the regular file at ``path`` (no links followed), or None."""
        ...


@dataclass(frozen=True)
class ImageMetadata:
    """The parts of the image config the metadata test looks at."""

    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    workdir: str | None = None
    user: str | None = None
    exposed_ports: tuple[str, ...] = ()       # as in the config: "8080/tcp"
    volumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CstTest:
    """One test of a config: ``kind`` is the config section, ``spec`` its validated fields."""

    kind: str                 # "fileExistence", "fileContent", "metadata", "license", "command"
    name: str                 # as container-structure-test prints it
    spec: Mapping[str, Any]
    file: str


@dataclass(frozen=True)
class CstConfig:
    """One validated config file: its tests in run order and its ``globalEnvVars``."""

    file: str
    tests: tuple[CstTest, ...]
    global_env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CstResult:
    """The outcome of one test: ``status`` is "pass", "fail" or "skip"."""

    test: CstTest
    status: str
    errors: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The test's name as container-structure-test prints it."""
        return self.test.name


CommandRunner = Callable[[Sequence[str], Sequence[tuple[str, str]], str | None],
                         tuple[str, str, int]]
"""``runner(argv, env, entrypoint) -> (stdout, stderr, exit_code)`` for command tests."""


__all__ = ["CommandRunner", "CstConfig", "CstResult", "CstTest", "FileStat", "FileSystemView",
           "ImageMetadata"]
