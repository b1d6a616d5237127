"""The Dockerfile model: parse with BuildKit's parser, resolve ARGs, build the stage graph.

::

    from finalstage.dockerfile import load
    df = load("Dockerfile", build_args={"GO_VERSION": "1.22"}, target="runtime")
    df.final_stage.base, df.chain, df.feeders

Everything else here (``parse``, ``args``, ``stages``, ``pragmas``, ``shell``) is internal to the
package except the shell helpers re-exported below, which rules use on RUN bodies, and
``expand_known``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from finalstage.dockerfile.args import expand_known
from finalstage.dockerfile.model import Dockerfile, Heredoc, Instruction, Pragma, Stage
from finalstage.dockerfile.parse import decode, parse_source, read_source
from finalstage.dockerfile.shell import (
    Command,
    PackageInstall,
    args_no_flags,
    commands,
    find_command_names,
    has_flag,
    package_installs,
    split_commands,
)
from finalstage.dockerfile.stages import build

__all__ = [
    "Command",
    "Dockerfile",
    "Heredoc",
    "Instruction",
    "PackageInstall",
    "Pragma",
    "Stage",
    "args_no_flags",
    "commands",
    "expand_known",
    "find_command_names",
    "has_flag",
    "load",
    "package_installs",
    "parse_text",
    "split_commands",
]


def load(
    path: str | Path,
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
) -> Dockerfile:
    """Read, parse and resolve the Dockerfile at ``path``; raise ``DockerfileError`` if unusable."""
    data = read_source(path)
    return parse_text(decode(data, str(path)), path=str(path), build_args=build_args, target=target)


def parse_text(
    text: str,
    *,
    path: str = "Dockerfile",
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
) -> Dockerfile:
    """Parse Dockerfile text (``path`` is only for messages); see ``load``."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text or "\r" in text:
        text = decode(text.encode("utf-8", "surrogatepass"), path)
    return build(parse_source(text, path), build_args, target)

