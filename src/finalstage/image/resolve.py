"""Bare image names (``myapp:1.0``, ``localhost/app``, ``quay.io/org/app:1``), resolved the way
podman resolves them: its local storage first, then a registry.

1. **Local storage.** ``podman image inspect NAME`` applies podman's own short-name rules
   (``localhost/NAME``, the search registries, aliases, a repository tag ending in the name):
   the image found is read as ``containers-storage:TAG`` (the tag the name matched; else the
   image ID). Without podman, skopeo is asked for the name and, for a short one,
   ``localhost/NAME``.
2. **A registry.** A fully qualified name (its first component has a ``.`` or a ``:``, or is
   ``localhost``) is read as ``docker://NAME``. A short name goes, as with podman, through
   ``registries.conf``: an ``[aliases]`` entry names it fully, otherwise each of the
   ``unqualified-search-registries`` is tried in order (the first that has it wins, as in
   podman's ``permissive`` short-name mode; ``enforcing`` would refuse to choose without a TTY).
3. **Nowhere:** ``ImageNotFoundError`` with a way forward: the local names close to it ("did
   you mean containers-storage:localhost/app?") and the transports to say where else to look.

The core's ``describe()`` is the reference actually read (``containers-storage:localhost/app``,
``docker://quay.io/org/app:1``), which every output shows as the image: the source used;
``source_note`` says so in words for a report's notes (``check`` prints it).
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from typing import Any

from finalstage.errors import ImageNotFoundError, InvalidReferenceError
from finalstage.escape import one_line
from finalstage.image.core import ImageCore
from finalstage.image.refs import parse_reference

_SYSTEM_CONF = "/etc/containers/registries.conf"

Opener = Callable[[str], ImageCore]


def is_qualified(name: str) -> bool:
    """True when ``name`` names its registry (docker's rule for the first path component)."""
    first, sep, _ = name.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def _with_tag(name: str) -> str:
    """``app`` → ``app:latest``; a tag or a digest is kept."""
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in name) else f"{name}:latest"


def _podman(args: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    podman = shutil.which("podman")
    if podman is None:
        return None
    try:
        return subprocess.run([podman, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def local_name(name: str, timeout: float) -> str | None:
    """What podman's local storage holds under ``name``, as a containers-storage name (a tag
    it matched, else the image ID); None when podman does not know it (or is not installed)."""
    res = _podman(["image", "inspect", "--format", "{{.Id}} {{json .RepoTags}}", name], timeout)
    if res is None or res.returncode != 0 or not res.stdout.strip():
        return None
    image_id, _, tags_json = res.stdout.strip().partition(" ")
    try:
        tags = json.loads(tags_json) or []
    except ValueError:
        tags = []
    want = _with_tag(name)
    for tag in tags:
        if isinstance(tag, str) and (tag == want or tag.endswith("/" + want)):
            return tag
    return image_id


def local_names(timeout: float) -> list[str]:
    """Every ``repository:tag`` in podman's local storage (empty without podman)."""
    res = _podman(["images", "--format", "{{.Repository}}:{{.Tag}}"], timeout)
    if res is None or res.returncode != 0:
        return []
    return [n for n in res.stdout.split() if not n.startswith("<none>")]


def _conf_files() -> list[str]:
    """registries.conf and its drop-ins, in the order containers/image reads them (later
    wins): ``$CONTAINERS_REGISTRIES_CONF``, else the user's file if it exists, else the
    system's; then the system's ``registries.conf.d`` and the user's, each sorted by name."""
    user = os.path.expanduser("~/.config/containers/registries.conf")
    main = os.environ.get("CONTAINERS_REGISTRIES_CONF") or (
        user if os.path.isfile(user) else _SYSTEM_CONF)
    dropins = [sorted(glob.glob(f"{where}.d/*.conf")) for where in (_SYSTEM_CONF, user)]
    return [main, *dropins[0], *dropins[1]]


def registries_conf() -> tuple[list[str], dict[str, str]]:
    """(unqualified-search-registries, aliases) from registries.conf (v2, or v1's
    ``[registries.search]``); unreadable files count as empty, as podman's defaults do."""
    search: list[str] = []
    aliases: dict[str, str] = {}
    for path in _conf_files():
        try:
            with open(path, "rb") as handle:
                doc: dict[str, Any] = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        found = doc.get("unqualified-search-registries")
        v1 = doc.get("registries")
        if found is None and isinstance(v1, dict) and isinstance(v1.get("search"), dict):
            found = v1["search"].get("registries")
        if isinstance(found, list):
            search = [str(r) for r in found]
        table = doc.get("aliases")
        if isinstance(table, dict):
            aliases.update({str(k): str(v) for k, v in table.items()})
    return search, aliases


def _registry_candidates(name: str) -> list[str]:
    if is_qualified(name):
        return [name]
    search, aliases = registries_conf()
    repo, sep, rest = name.partition("@") if "@" in name else name.rpartition(":")
    if not sep or "/" in rest:
        repo, sep, rest = name, "", ""
    if repo in aliases:
        return [aliases[repo] + sep + rest]
    return [f"{registry}/{name}" for registry in search]


def open_name_core(name: str, *, storage: Opener, registry: Opener,
                   timeout: float) -> ImageCore:
    """The core of bare ``name``: podman's local storage, else a registry (module doc).
    ``storage``/``registry`` open a containers-storage name and a ``docker://`` name;
    ``timeout`` bounds each podman query."""
    local = local_name(name, timeout)
    if local is not None:
        return storage(local)
    if shutil.which("podman") is None and shutil.which("skopeo") is not None:
        for candidate in [name] if is_qualified(name) else [name, f"localhost/{name}"]:
            try:
                return storage(candidate)
            except ImageNotFoundError:
                continue
    candidates = _registry_candidates(name)
    for candidate in candidates:
        core = registry(candidate)
        try:
            core.raw_manifest()  # a registry core is lazy: ask now, so a missing name moves on
        except ImageNotFoundError:
            close = getattr(core, "close", None)
            if close is not None:
                close()
            continue
        return core
    raise ImageNotFoundError(_nowhere(name, candidates, timeout))


def source_note(typed: str, reference: str) -> str | None:
    """For a bare name the user typed, which source it was read from (None otherwise)."""
    try:
        if parse_reference(typed).transport != "name":
            return None
    except InvalidReferenceError:
        return None
    where = ("podman's local storage" if reference.startswith("containers-storage:")
             else "a registry, as podman's local storage does not hold it")
    return f"{one_line(typed)!r} is a bare name, resolved as podman does: read from {where}" \
        f" ({one_line(reference)})"


def _repository(name: str) -> str:
    """The last path component of ``name`` without its tag or digest (``app`` of
    ``localhost/app:1``)."""
    last = name.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def _close_local(name: str, names: list[str]) -> str | None:
    """The local name that ``name`` most likely meant: the same repository under another tag,
    else the closest repository name."""
    repo = _repository(name)
    by_repo: dict[str, str] = {}
    for local in names:
        by_repo.setdefault(_repository(local), local)
    if repo in by_repo:
        return by_repo[repo]
    close = difflib.get_close_matches(repo, list(by_repo), n=1, cutoff=0.75)
    return by_repo[close[0]] if close else None


def _nowhere(name: str, tried: list[str], timeout: float) -> str:
    """The message for a name found nowhere: what was looked at, and where else to look."""
    shown = one_line(name)
    where = "not in podman's local storage"
    if tried:
        where += ", nor at " + ", ".join(f"docker://{one_line(t)}" for t in tried)
    else:
        where += (", and a short name names no registry (registries.conf has no"
                  " unqualified-search-registries)")
    close = _close_local(name, local_names(timeout))
    hint = f"did you mean containers-storage:{one_line(close)}? " if close else ""
    qualified = name if is_qualified(name) else f"docker.io/{'' if '/' in name else 'library/'}{name}"
    return (f"image {shown!r} not found: {where}; {hint}name the source with a transport:"
            f" containers-storage:NAME, docker://{one_line(qualified)}, docker-archive:PATH,"
            " oci:DIR or oci-archive:PATH")
