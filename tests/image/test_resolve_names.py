"""Bare image names resolved as podman resolves them (issue 14, item 7): podman's local storage
first, then the registries of registries.conf, saying which source was used; a name found
nowhere says where to look instead.

Each test runs against a store and a registries.conf of its own, handed to podman and skopeo
through CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF (the variables both read), and
the harness's anonymous registry on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.harness.daemon import _load
from tests.harness.registry import (  # noqa: F401 - pytest fixture
    SINGLE_OCI,
    RegistryServer,
    need_tools,
    open_registry,
    skopeo_push,
)

from finalstage import check
from finalstage.errors import ImageNotFoundError
from finalstage.image.open import open_image
from finalstage.image.refs import parse_reference

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(300)]

LOCAL = "localhost/finalstage-test/resolve:1"
REMOTE = "finalstage-resolve/remote:1"


@dataclass(frozen=True)
class World:
    """A private podman store holding LOCAL and a registry holding REMOTE, searched for short
    names; ``env`` points podman and skopeo at both."""

    prefix: str
    host: str
    env: dict[str, str]


@pytest.fixture
def world(open_registry: RegistryServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    need_tools("podman", "skopeo")
    # short paths: podman refuses a runroot longer than 50 characters (pytest's tmp_path is)
    base = Path(tempfile.mkdtemp(prefix="fs-resolve-", dir="/tmp"))
    try:
        root, run = base / "root", base / "run"
        (base / "storage.conf").write_text(
            f'[storage]\ndriver = "vfs"\ngraphroot = "{root}"\nrunroot = "{run}"\n')
        (base / "registries.conf").write_text(
            f'unqualified-search-registries = ["{open_registry.host}"]\n'
            f'[aliases]\n"finalstage-alias" = "{open_registry.host}/finalstage-resolve/remote"\n')
        env = {"CONTAINERS_STORAGE_CONF": str(base / "storage.conf"),
               "CONTAINERS_REGISTRIES_CONF": str(base / "registries.conf")}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        prefix = f"[vfs@{root}+{run}]"
        _load(prefix, f"oci:{SINGLE_OCI}", LOCAL)
        skopeo_push(open_registry, f"oci:{SINGLE_OCI}", REMOTE)
        yield World(prefix, open_registry.host, env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _reference_and_digest(name: str) -> tuple[str, str | None]:
    image = open_image(name)
    try:
        return image.reference, image.digest
    finally:
        image.core.close()  # type: ignore[attr-defined]


def _skopeo_digest(ref: str) -> str:
    out = subprocess.run(["skopeo", "inspect", "--tls-verify=false", ref], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return str(json.loads(out)["Digest"])


def test_bare_names_parse_as_names() -> None:
    for text in ("app", "app:1", "nope/missing", "ftp:thing", "localhost:5000/app:1",
                 f"app@sha256:{'a' * 64}"):
        assert parse_reference(text).transport == "name", text


def test_short_name_in_local_storage(world: World) -> None:
    # podman's short-name rule: finalstage-test/resolve:1 is localhost/finalstage-test/resolve:1
    reference, digest = _reference_and_digest("finalstage-test/resolve:1")
    assert reference == f"containers-storage:{LOCAL}"
    assert digest == _skopeo_digest(f"containers-storage:{LOCAL}")
    assert _reference_and_digest(LOCAL)[0] == f"containers-storage:{LOCAL}"


def test_local_storage_comes_before_the_registry(world: World) -> None:
    _load(world.prefix, f"oci:{SINGLE_OCI}", f"localhost/{REMOTE}")
    assert _reference_and_digest(REMOTE)[0] == f"containers-storage:localhost/{REMOTE}"


def test_short_name_from_a_search_registry(world: World) -> None:
    reference, digest = _reference_and_digest(REMOTE)
    assert reference == f"docker://{world.host}/{REMOTE}"
    assert digest == _skopeo_digest(f"docker://{world.host}/{REMOTE}")


def test_qualified_name_and_alias_go_to_the_registry(world: World) -> None:
    assert _reference_and_digest(f"{world.host}/{REMOTE}")[0] == f"docker://{world.host}/{REMOTE}"
    assert _reference_and_digest("finalstage-alias:1")[0] == f"docker://{world.host}/{REMOTE}"


def test_found_nowhere_says_where_to_look(world: World) -> None:
    with pytest.raises(ImageNotFoundError) as err:
        open_image("finalstage-test/resolv:1")
    text = str(err.value)
    assert "not in podman's local storage" in text
    assert f"nor at docker://{world.host}/finalstage-test/resolv:1" in text
    assert f"did you mean containers-storage:{LOCAL}?" in text
    with pytest.raises(ImageNotFoundError) as err:
        open_image("finalstage-test/resolve:2")  # the same repository under another tag
    assert f"did you mean containers-storage:{LOCAL}?" in str(err.value)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finalstage", *args], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ})


def test_check_says_which_source(world: World) -> None:
    report = check("finalstage-test/resolve:1", policy=None)
    assert report.notes[0] == (
        "'finalstage-test/resolve:1' is a bare name, resolved as podman does: read from"
        f" podman's local storage (containers-storage:{LOCAL})")
    p = _cli("check", REMOTE)
    assert p.returncode in (0, 1), p.stderr
    assert (f"note: '{REMOTE}' is a bare name, resolved as podman does: read from a registry, as"
            f" podman's local storage does not hold it (docker://{world.host}/{REMOTE})"
            ) in p.stdout
    assert check(f"containers-storage:{LOCAL}", policy=None).notes[:1] != report.notes[:1]


def test_tls_verify_false_as_skopeo_spells_it(world: World) -> None:
    for spelling in ("--tls-verify=false", "--tls-verify=False", "--no-tls-verify"):
        p = _cli("inspect", spelling, "--format", "json", f"{world.host}/{REMOTE}")
        assert p.returncode == 0, (spelling, p.stderr)
        assert json.loads(p.stdout)["reference"] == f"docker://{world.host}/{REMOTE}"
    # =true is honoured: TLS is required even on loopback, which this plain-HTTP registry fails
    p = _cli("check", "--tls-verify=true", f"{world.host}/{REMOTE}")
    assert p.returncode == 2
    assert p.stderr.startswith(f"finalstage: connecting to {world.host}: [ssl")
    p = _cli("inspect", "--tls-verify=maybe", f"{world.host}/{REMOTE}")
    assert p.returncode == 2
    assert p.stderr == "finalstage: invalid value for --tls-verify: 'maybe' (use true or false)\n"


def test_without_podman_skopeo_reads_local_storage(world: World, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine with skopeo but no podman (a CI runner with buildah): the short name is looked
    # up as given and as localhost/NAME, then in the registries.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "skopeo").symlink_to(shutil.which("skopeo") or "skopeo")
    monkeypatch.setenv("PATH", str(tools))
    assert _reference_and_digest("finalstage-test/resolve:1")[0] == (
        "containers-storage:localhost/finalstage-test/resolve:1")
    assert _reference_and_digest(REMOTE)[0] == f"docker://{world.host}/{REMOTE}"
