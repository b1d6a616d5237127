"""Build the example images under ``examples/`` with a real builder, cached across sessions.

Docker Hub is not reachable from the machines this runs on, so the public base images the
examples name (``golang:1.22-bookworm``, ``node:20-bookworm-slim``, ``python:3.12-slim-bookworm``,
``gcr.io/distroless/static-debian12``, ``busybox:1.36`` …) are made locally as *stand-ins*. They
are named in the test namespace, never under the public names, so a developer's own
``golang:1.22-bookworm`` is never shadowed: ``localhost/finalstage-test/golang:1.22-bookworm``,
``localhost/finalstage-test/distroless/static-debian12:nonroot`` (``local_name``). An example is
built from a copy of its Dockerfile whose ``FROM`` lines name the stand-ins by image id
(``rewrite_from``), with ``buildah bud --pull=never``; the examples themselves keep the names
people write:

- ``debian:bookworm-slim``: ``debootstrap --variant=minbase bookworm`` from the Debian mirror the
  host's apt already uses (read at run time, never written into the repository), imported with
  ``podman import``; apt lists and downloaded .debs removed like the real slim image;
- ``busybox:1.36``: the host's static busybox (Debian ``busybox-static``) plus its applet links;
- language images: the slim base plus Debian's toolchain/runtime packages (Debian's versions,
  not the upstream ones the tags name: the names are what matters to the linter and the tests);
- ``gcr.io/distroless/static-debian12``: ``FROM scratch`` with ``/etc/passwd`` (``nonroot`` =
  65532), ``/etc/group``, ``/tmp`` and Debian's CA bundle.

Everything is keyed by content: a stand-in by its recipe and its parent's image id, an example
image by its Dockerfile, its context files and the ids of the images its ``FROM`` lines name; an
example's tag carries its key (``localhost/finalstage-test/examples-go:minimal-<key>``), so two
caches on one machine never move each other's tags. Exports (docker-archive, OCI layout dir, OCI
archive) live under a cache directory outside the repository (``$FINALSTAGE_TEST_CACHE``,
default ``/var/tmp/finalstage-test-cache``), so a rerun is a few ``podman image inspect`` calls.
A lock file serialises concurrent sessions. What the cache keeps is kept on purpose; an
example's image of an older key is removed when its new one is built, and ``clean`` removes
everything (README.md, "Cleaning up").

Behind a TLS-inspecting proxy npm and pip inside the build need the host's CA bundle: it is
bind-mounted read-only for ``RUN`` steps only (``buildah bud -v`` onto ``/mnt``) and named through the generic
``NODE_EXTRA_CA_CERTS`` / ``PIP_CERT`` build-arg hooks of the Dockerfiles; no layer stores it.

Run as a script for manual use::

    python3 tests/harness/build.py build go minimal     # prints the BuiltImage
    python3 tests/harness/build.py ship examples/images # the small images shipped in the repo
    python3 tests/harness/build.py clean [--legacy]     # remove the test images and the cache
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.harness` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.harness.scratch import NAMESPACE, remove_images  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
EXAMPLES = ("go", "node", "python", "busybox")
VARIANTS = {"fat": "Dockerfile.fat", "minimal": "Dockerfile"}
# bump when the way images are built or exported changes, to invalidate every cache entry
HARNESS_VERSION = "4"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# history comment of the imported root stand-ins. It carries HARNESS_VERSION so that a new
# harness gets new base ids, and buildah's layer cache never serves a layer an older one built
_IMPORT_MESSAGE = f"finalstage test stand-in (harness {HARNESS_VERSION})"
# The CA bundle is bind-mounted as a directory onto /mnt, which every base has (empty): buildah
# (chroot isolation) leaves a mountpoint it had to create in the layer, even an empty file under
# /run or /tmp, but mounting over an existing directory leaves nothing.
CA_MOUNT_DIR = "/mnt"
CA_MOUNT = "/mnt/ca-certificates.crt"
REQUIRED_TOOLS = ("buildah", "podman", "skopeo", "debootstrap", "tar")
BUILD_TIMEOUT = 1800  # seconds; a cold node stand-in (apt + npm) is the slowest step

BUD = (
    "buildah", "bud", "--layers", "--isolation", "chroot", "--network", "host",
    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--pull=never",
)  # fmt: skip


# the minbase rootfs recipe revision (names the cached debootstrap tarball)
MINBASE_REV = "2"
# /etc/apt/apt.conf.d/docker-clean as the official Debian images ship it
_RM_DEBS = ("rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb "
            "/var/cache/apt/*.bin || true")
DOCKER_CLEAN = (f'DPkg::Post-Invoke {{ "{_RM_DEBS}"; }};\n'
                f'APT::Update::Post-Invoke {{ "{_RM_DEBS}"; }};\n'
                'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')


class HarnessError(Exception):
    """A build step failed; the message names the step and ends with the tail of its log."""


@dataclass(frozen=True)
class BuiltImage:
    """One example image, built and exported three ways (paths are inside the cache)."""

    example: str
    variant: str
    name: str  # tag in containers-storage: localhost/finalstage-test/examples-go:fat-<key>
    image_id: str
    dockerfile: Path
    docker_archive: Path  # `docker save` layout (skopeo docker-archive), reference tag = name
    oci_dir: Path  # OCI image layout directory, ref name "latest"
    oci_archive: Path  # the same layout as a tar, ref name "latest"


@dataclass(frozen=True)
class StandIn:
    """A local image standing in for public ``names`` (the names Dockerfiles write); it is
    tagged ``local_names`` in containers-storage. ``recipe`` is a Dockerfile (None = special)."""

    names: tuple[str, ...]
    parent: str | None
    recipe: str | None

    @property
    def local_names(self) -> tuple[str, ...]:
        return tuple(local_name(n) for n in self.names)


# ---------------------------------------------------------------------------------------------
# stand-in recipes. Package lists use --no-install-recommends and drop apt lists, as the real
# images do; the toolchain images keep what their upstream counterparts ship (compilers, git…).
SLIM = "docker.io/library/debian:bookworm-slim"
APT = "apt-get update && apt-get install -y --no-install-recommends"
CLEAN = "apt-get clean && rm -rf /var/lib/apt/lists/*"

STANDINS: dict[str, StandIn] = {
    "debian-slim": StandIn((SLIM,), None, None),
    "busybox": StandIn(("docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"),
                       None, None),
    "golang": StandIn(
        ("docker.io/library/golang:1.22-bookworm",),
        SLIM,
        f"""FROM {SLIM}
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} golang-go gcc libc6-dev ca-certificates && {CLEAN}
ENV GOPATH=/go GOTOOLCHAIN=local PATH=/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
""",
    ),
    "node": StandIn(
        ("docker.io/library/node:20-bookworm",),
        SLIM,
        f"""FROM {SLIM}
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} nodejs npm ca-certificates && {CLEAN}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
""",
    ),
    "node-slim": StandIn(
        ("docker.io/library/node:20-bookworm-slim",),
        SLIM,
        f"""FROM {SLIM}
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} nodejs && {CLEAN}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
""",
    ),
    "python": StandIn(
        ("docker.io/library/python:3.12-bookworm",),
        SLIM,
        f"""FROM {SLIM}
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} python3 python3-pip python3-venv ca-certificates && {CLEAN} \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && ln -s /usr/bin/python3 /usr/local/bin/python && ln -s /usr/bin/pip3 /usr/local/bin/pip
CMD ["python3"]
""",
    ),
    "python-slim": StandIn(
        ("docker.io/library/python:3.12-slim-bookworm",),
        SLIM,
        f"""FROM {SLIM}
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} python3 python3-venv && {CLEAN} && ln -s /usr/bin/python3 /usr/local/bin/python
CMD ["python3"]
""",
    ),
    "distroless-static": StandIn(
        ("gcr.io/distroless/static-debian12:latest", "gcr.io/distroless/static-debian12:nonroot"),
        SLIM,
        f"""FROM {SLIM} AS rootfs
ENV DEBIAN_FRONTEND=noninteractive
RUN {APT} ca-certificates && {CLEAN}
RUN mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot /out/root \\
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \\
 && printf 'root:x:0:0:root:/root:/sbin/nologin\\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\\n' > /out/etc/passwd \\
 && printf 'root:x:0:\\nnobody:x:65534:\\nnonroot:x:65532:\\n' > /out/etc/group \\
 && printf 'PRETTY_NAME="Distroless"\\nNAME="Debian GNU/Linux"\\nID="debian"\\nVERSION_ID="12"\\n' > /out/etc/os-release \\
 && printf 'hosts: files dns\\n' > /out/etc/nsswitch.conf \\
 && chmod 1777 /out/tmp && chmod 700 /out/root && chown 65532:65532 /out/home/nonroot

FROM scratch
COPY --from=rootfs /out/ /
""",
    ),
}
# which stand-ins an example's FROM lines need, resolved from the names above
_BY_NAME = {n: key for key, s in STANDINS.items() for n in s.names}


# ---------------------------------------------------------------------------------------------
# small helpers


def local_name(public: str) -> str:
    """The test-namespace name of a stand-in for public image ``public``:
    ``docker.io/library/golang:1.22`` → ``localhost/finalstage-test/golang:1.22``,
    ``gcr.io/distroless/static-debian12:nonroot`` → ``…/distroless/static-debian12:nonroot``."""
    full = qualify(public)
    path = full.split("/", 1)[1]
    return f"{NAMESPACE}/{path.removeprefix('library/')}"


def rewrite_from(dockerfile_text: str, ids: dict[str, str]) -> str:
    """``dockerfile_text`` with each ``FROM`` image that ``ids`` knows (by its qualified name)
    replaced by that image id; every other byte, and so every line number, unchanged."""
    def one(match: re.Match[str]) -> str:
        image = match.group(2)
        iid = ids.get(qualify(image)) if image != "scratch" else None
        return match.group(1) + (iid or image)
    return _FROM.sub(one, dockerfile_text)


# FROM [--flag=value…] IMAGE: the image is the first word that is not a flag
_FROM = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)", re.IGNORECASE | re.MULTILINE)


def cache_dir() -> Path:
    """The cache root: ``$FINALSTAGE_TEST_CACHE`` or ``/var/tmp/finalstage-test-cache``."""
    return Path(os.environ.get("FINALSTAGE_TEST_CACHE") or "/var/tmp/finalstage-test-cache")


def missing_tools(tools: Sequence[str] = REQUIRED_TOOLS) -> list[str]:
    """The command-line tools from ``tools`` that are not on PATH (empty when all are)."""
    return [t for t in tools if shutil.which(t) is None]


def parse_deb822_uris(text: str) -> list[str]:
    """``URIs:`` values of ``Types: deb`` stanzas in a deb822 ``.sources`` file, in order."""
    uris: list[str] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
            uris.extend(fields.get("uris", "").split())
    return uris


def parse_sources_list(text: str) -> list[str]:
    """Mirror URIs of ``deb`` lines in a one-line-style ``sources.list`` (options skipped)."""
    uris: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        rest = line[4:].strip()
        if rest.startswith("["):
            rest = rest.partition("]")[2].strip()
        if rest:
            uris.append(rest.split()[0])
    return uris


def apt_mirror(etc_apt: Path = Path("/etc/apt")) -> str | None:
    """The Debian mirror this machine's apt uses (deb822 sources first), or None.

    A security-only URI is skipped: debootstrap needs the main archive.
    """
    candidates: list[str] = []
    for f in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            candidates += parse_deb822_uris(f.read_text())
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates += parse_sources_list((etc_apt / "sources.list").read_text())
    for uri in candidates:
        if "security" not in uri:
            return uri
    return None


def from_images(dockerfile_text: str) -> list[str]:
    """Image names of the ``FROM`` lines, without stage names and ``scratch``, in order.

    Only for cache keys and stand-in lookup; it handles ``--platform=`` and line
    continuations, not ARG substitution (the examples use none in FROM).
    """
    text = re.sub(r"\\\r?\n", " ", dockerfile_text)
    stages: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() != "FROM":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if not args:
            continue
        image = args[0]
        if len(args) >= 3 and args[1].upper() == "AS":
            stages.add(args[2].lower())
        if image.lower() in stages or image == "scratch" or image in out:
            continue
        out.append(image)
    return out


def qualify(name: str) -> str:
    """Docker Hub's short-name expansion (``golang:1.22`` → ``docker.io/library/golang:1.22``)."""
    first, sep, _rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        repo_tag = name
    elif sep:
        repo_tag = f"docker.io/{name}"
    else:
        repo_tag = f"docker.io/library/{name}"
    last = repo_tag.rsplit("/", 1)[1]
    return repo_tag if (":" in last or "@" in last) else f"{repo_tag}:latest"


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run(cmd: Sequence[str], *, log: Path | None = None, stdin: bytes | None = None,
        timeout: float = BUILD_TIMEOUT, step: str = "") -> str:
    """Run ``cmd``; return stdout (or "" when logged). Failure → HarnessError with the log tail."""
    what = step or " ".join(cmd[:3])
    try:
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as fh:
                fh.write(f"\n$ {' '.join(cmd)}\n".encode())
                fh.flush()
                proc = subprocess.run(cmd, input=stdin, stdout=fh, stderr=subprocess.STDOUT,
                                      timeout=timeout, check=False)
            out = ""
        else:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                                  check=False)
            out = proc.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as err:
        raise HarnessError(f"{what}: timed out after {timeout:.0f} s") from err
    except OSError as err:
        raise HarnessError(f"{what}: {err}") from err
    if proc.returncode != 0:
        detail = _tail(log) if log is not None else proc.stderr.decode(errors="replace")[-3000:]
        raise HarnessError(f"{what}: exit {proc.returncode}\n{detail}")
    return out


def image_id(name: str) -> str | None:
    """The id of ``name`` in containers-storage (short names resolve as buildah does), or None."""
    proc = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", name],
                          capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # one build at a time across pytest sessions and scripts: buildah's layer cache and our
    # stamp files are shared, and 2 cores do not gain from parallel builds anyway
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def ca_args(cache: Path) -> list[str]:
    """Build options that expose the host CA bundle to RUN steps only (see module docstring)."""
    try:
        bundle = CA_BUNDLE.read_bytes()
    except OSError:
        return []
    if not bundle:
        return []
    ca_dir = cache / "ca"  # holds nothing but the bundle: the whole directory is mounted
    ca_dir.mkdir(parents=True, exist_ok=True)
    copy = ca_dir / CA_BUNDLE.name
    if not copy.is_file() or copy.read_bytes() != bundle:
        copy.write_bytes(bundle)
    return ["-v", f"{ca_dir}:{CA_MOUNT_DIR}:ro",
            "--build-arg", f"NODE_EXTRA_CA_CERTS={CA_MOUNT}",
            "--build-arg", f"PIP_CERT={CA_MOUNT}"]


# ---------------------------------------------------------------------------------------------
# stand-ins


class Builder:
    """Builds stand-ins and example images into containers-storage and the cache directory."""

    def __init__(self, cache: Path | None = None, examples_dir: Path = EXAMPLES_DIR) -> None:
        self.cache = cache or cache_dir()
        self.examples_dir = examples_dir
        self.logs = self.cache / "logs"
        self.timings: dict[str, float] = {}

    # -- public ---------------------------------------------------------------------------
    def ensure_standin(self, key: str) -> str:
        """Make stand-in ``key`` (and its parents) exist; return its image id."""
        with _locked(self.cache / "lock"):
            return self._ensure_standin(key)

    def build_example(self, example: str, variant: str, *, reproducible: bool = False) -> BuiltImage:
        """Build ``examples/<example>`` (``fat`` or ``minimal``) and export it; cached by content.

        ``reproducible`` pins every timestamp to the epoch (``buildah bud --timestamp 0``, no
        layer cache), for images committed to the repository.
        """
        if example not in EXAMPLES:
            raise HarnessError(f"unknown example {example!r} (known: {', '.join(EXAMPLES)})")
        if variant not in VARIANTS:
            raise HarnessError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
        with _locked(self.cache / "lock"):
            return self._build_example(example, variant, reproducible)

    # -- stand-ins ------------------------------------------------------------------------
    def _stamp(self, key: str) -> Path:
        return self.cache / "bases" / f"{key}.json"

    def _ensure_standin(self, key: str) -> str:
        spec = STANDINS[key]
        parent_id = self._ensure_standin(_BY_NAME[spec.parent]) if spec.parent else ""
        want = _sha(HARNESS_VERSION, key, spec.recipe or "", parent_id)
        stamp = self._stamp(key)
        with contextlib.suppress(OSError, ValueError, KeyError):
            meta = json.loads(stamp.read_text())
            if meta["key"] == want and image_id(meta["id"]) == meta["id"]:
                # the image is there by id: its names may have moved (another cache) or be
                # missing (an older harness); naming it again costs milliseconds
                self._tag_all(spec.local_names, str(meta["id"]))
                return str(meta["id"])
        t0 = time.monotonic()
        if key == "debian-slim":
            iid = self._import_minbase(spec.local_names)
        elif key == "busybox":
            iid = self._import_busybox(spec.local_names)
        else:
            iid = self._bud_standin(key, spec, parent_id)
        self.timings[f"standin:{key}"] = time.monotonic() - t0
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"key": want, "id": iid, "names": spec.local_names}))
        return iid

    def _tag_all(self, names: Sequence[str], iid: str | None = None) -> str:
        """Point every one of ``names`` at ``iid`` (default: the image ``names[0]`` is)."""
        iid = iid or image_id(names[0])
        if iid is None:
            raise HarnessError(f"stand-in {names[0]}: not in containers-storage after building")
        for name in names:
            if image_id(name) != iid:
                run(["podman", "tag", iid, name], step=f"tagging {name}")
        return iid

    def _import_minbase(self, names: Sequence[str]) -> str:
        """debootstrap minbase → tar (kept in the cache) → podman import."""
        tarball = self.cache / "bases" / f"bookworm-minbase-{MINBASE_REV}.tar"
        log = self.logs / "debian-slim.log"
        if not tarball.is_file():
            mirror = os.environ.get("FINALSTAGE_DEBIAN_MIRROR") or apt_mirror()
            if not mirror:
                raise HarnessError("debootstrap: no Debian mirror found in /etc/apt "
                                   "(set FINALSTAGE_DEBIAN_MIRROR)")
            tarball.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="rootfs.") as tmp:
                root = Path(tmp) / "rootfs"
                run(["debootstrap", "--variant=minbase", "bookworm", str(root), mirror],
                    log=log, step="debootstrap bookworm minbase")
                # like the real slim image: no apt lists, no downloaded packages, and its
                # docker-clean apt hook (later installs keep no .debs; lists are left as usual)
                for sub in ("var/lib/apt/lists", "var/cache/apt/archives", "var/cache/apt"):
                    for p in (root / sub).glob("*"):
                        if p.is_file():
                            p.unlink()
                (root / "etc/apt/apt.conf.d/docker-clean").write_text(DOCKER_CLEAN)
                part = tarball.with_suffix(".part")
                run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(part), "."],
                    log=log, step="tar minbase rootfs")
                part.rename(tarball)
        run(["podman", "import", "--message", _IMPORT_MESSAGE, "--change", 'CMD ["bash"]',
             str(tarball), names[0]],
            log=log, step=f"podman import {names[0]}")
        return self._tag_all(names)

    def _import_busybox(self, names: Sequence[str]) -> str:
        """The host's static busybox with one symlink per applet → podman import."""
        busybox = shutil.which("busybox")
        if busybox is None:
            raise HarnessError("busybox stand-in: busybox not installed (Debian busybox-static)")
        log = self.logs / "busybox.log"
        applets = run([busybox, "--list"], step="busybox --list").split()
        with tempfile.TemporaryDirectory(dir=self.cache, prefix="busybox.") as tmp:
            root = Path(tmp)
            for d in ("bin", "dev", "etc", "home", "mnt", "proc", "root", "sys", "tmp", "var/www"):
                (root / d).mkdir(parents=True, exist_ok=True)
            shutil.copy2(busybox, root / "bin" / "busybox")
            for a in applets:
                if a != "busybox" and not (root / "bin" / a).exists():
                    (root / "bin" / a).symlink_to("busybox")
            (root / "etc" / "passwd").write_text(
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
            (root / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
            (root / "tmp").chmod(0o1777)
            tar = subprocess.run(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C",
                                  str(root), "-c", "."], capture_output=True, check=True)
            run(["podman", "import", "--message", _IMPORT_MESSAGE, "--change", 'CMD ["sh"]', "-",
                 names[0]], log=log,
                stdin=tar.stdout, step=f"podman import {names[0]}")
        return self._tag_all(names)

    def _bud_standin(self, key: str, spec: StandIn, parent_id: str) -> str:
        assert spec.recipe is not None and spec.parent is not None
        ctx = self.cache / "ctx" / key
        shutil.rmtree(ctx, ignore_errors=True)
        ctx.mkdir(parents=True)
        (ctx / "Dockerfile").write_text(rewrite_from(spec.recipe, {spec.parent: parent_id}))
        name = spec.local_names[0]
        run([*BUD, "-t", name, "-f", str(ctx / "Dockerfile"), str(ctx)],
            log=self.logs / f"{key}.log", step=f"building stand-in {name}")
        return self._tag_all(spec.local_names)

    # -- examples -------------------------------------------------------------------------
    def _context_digest(self, ctx: Path) -> str:
        parts: list[bytes] = []
        for p in sorted(ctx.rglob("*")):
            # every file counts, caches included: `COPY . .` in the fat variants ships them
            rel = p.relative_to(ctx)
            if p.is_file() and not p.is_symlink():
                parts += [str(rel).encode(), oct(p.stat().st_mode & 0o777).encode(), p.read_bytes()]
        return _sha(*parts)

    def _build_example(self, example: str, variant: str, reproducible: bool) -> BuiltImage:
        ctx = self.examples_dir / example
        dockerfile = ctx / VARIANTS[variant]
        try:
            text = dockerfile.read_text()
        except OSError as err:
            raise HarnessError(f"reading {dockerfile}: {err.strerror}") from err
        base_ids: dict[str, str] = {}
        for name in from_images(text):
            full = qualify(name)
            if full not in _BY_NAME:
                raise HarnessError(f"{dockerfile}: no local stand-in for base image {name!r}")
            base_ids[full] = self._ensure_standin(_BY_NAME[full])
        key = _sha(HARNESS_VERSION, example, variant, str(reproducible), text,
                   self._context_digest(ctx), *base_ids.values())[:16]
        suffix = "-repro" if reproducible else ""
        tag = f"{NAMESPACE}/examples-{example}:{variant}{suffix}-{key}"
        out = self.cache / "images" / f"{example}-{variant}{suffix}-{key}"
        meta_path = out / "meta.json"
        img = BuiltImage(example, variant, tag, "", dockerfile, out / "docker-archive.tar",
                         out / "oci", out / "oci-archive.tar")
        with contextlib.suppress(OSError, ValueError, KeyError):
            meta = json.loads(meta_path.read_text())
            iid = meta["image_id"]
            if image_id(tag) != iid and image_id(iid) == iid:
                run(["podman", "tag", iid, tag], step=f"tagging {tag}")
            if image_id(tag) != iid:
                # storage was wiped: restore the exact image from the export
                run(["skopeo", "copy", "-q", f"oci-archive:{img.oci_archive}:latest",
                     f"containers-storage:{tag}"], step=f"restoring {tag}")
            if image_id(tag) == iid:
                return BuiltImage(**{**asdict(img), "image_id": iid})
        t0 = time.monotonic()
        log = self.logs / f"{example}-{variant}{suffix}.log"
        log.unlink(missing_ok=True)
        # the bases by image id: the public names the Dockerfile writes are not in storage
        built_from = self.cache / "ctx" / f"{example}-{variant}{suffix}.Dockerfile"
        built_from.parent.mkdir(parents=True, exist_ok=True)
        built_from.write_text(rewrite_from(text, base_ids))
        cmd = [*BUD, *ca_args(self.cache), "-f", str(built_from), "-t", tag]
        if reproducible:
            # --no-cache: buildah's layer cache ignores --timestamp and would hand back the
            # layers (and creation time) of an ordinary build of the same steps
            cmd += ["--timestamp", "0", "--no-cache"]
        run([*cmd, str(ctx)], log=log, step=f"building {example} {variant}")
        iid = image_id(tag)
        if iid is None:
            raise HarnessError(f"building {example} {variant}: {tag} missing after the build")
        # export next to the final place, then swap in: a crash never leaves a half entry. The
        # entries (and images) of older keys are not cached on purpose: they go.
        for old in out.parent.glob(f"{example}-{variant}{suffix}-*"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                old_tag = json.loads((old / "meta.json").read_text())["tag"]
                if old_tag != tag and old_tag.startswith(NAMESPACE + "/"):
                    remove_images([old_tag])
            shutil.rmtree(old, ignore_errors=True)
        tmp = out.with_name(out.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        src = f"containers-storage:{tag}"
        # the name inside the archive: the committed example images keep the one they carry
        archive_tag = f"localhost/finalstage-examples-{example}:{variant}-repro" \
            if reproducible else tag
        run(["skopeo", "copy", "-q", src,
             f"docker-archive:{tmp / 'docker-archive.tar'}:{archive_tag}"],
            log=log, step=f"exporting {tag} to docker-archive")
        run(["skopeo", "copy", "-q", src, f"oci:{tmp / 'oci'}:latest"],
            log=log, step=f"exporting {tag} to an OCI layout")
        # an OCI archive is the layout in a tar: tar it rather than let skopeo gzip every layer
        # a second time (minutes for the fat images on a busy 2-core machine)
        run(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", str(tmp / "oci"),
             "-cf", str(tmp / "oci-archive.tar"), "oci-layout", "index.json", "blobs"],
            log=log, step=f"archiving the OCI layout of {tag}")
        (tmp / "meta.json").write_text(json.dumps({"image_id": iid, "tag": tag, "key": key}))
        tmp.rename(out)
        self.timings[f"{example}:{variant}{suffix}"] = time.monotonic() - t0
        return BuiltImage(**{**asdict(img), "image_id": iid})


# ---------------------------------------------------------------------------------------------
# shipped example images (scripts/build-example-images.sh)

SHIPPED = (
    # (example, variant, formats): kept to a few MB in total
    ("go", "minimal", ("oci",)),
    ("busybox", "fat", ("docker-archive",)),
    ("busybox", "minimal", ("docker-archive",)),
)


def ship(dest: Path, builder: Builder | None = None) -> list[Path]:
    """Build the shipped example images reproducibly and copy their exports into ``dest``."""
    builder = builder or Builder()
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for example, variant, formats in SHIPPED:
        img = builder.build_example(example, variant, reproducible=True)
        stem = f"{example}-{variant}"
        if "oci" in formats:
            target = dest / f"{stem}.oci"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(img.oci_dir, target)
            written.append(target)
        if "docker-archive" in formats:
            target = dest / f"{stem}.tar"
            shutil.copyfile(img.docker_archive, target)
            written.append(target)
    return written


# ---------------------------------------------------------------------------------------------
# cleaning up (README.md, "Cleaning up")

# Names older harness versions gave their images: the stand-ins' public names (removed only
# when the image is one of ours, by its history) and two localhost prefixes.
_LEGACY_PREFIXES = ("localhost/finalstage-examples-", "localhost/finalstage-test-")


def stored_names() -> dict[str, str]:
    """Every image name in containers-storage → its image id."""
    done = subprocess.run(["podman", "images", "--format", "{{.Id}} {{range .Names}}{{.}} {{end}}"],
                          capture_output=True, text=True, timeout=300, check=False)
    out: dict[str, str] = {}
    for line in done.stdout.splitlines():
        iid, *names = line.split()
        out.update((name, iid) for name in names)
    return out


def _made_by_harness(iid: str) -> bool:
    done = subprocess.run(["podman", "history", "--no-trunc", "--format", "{{.Comment}}", iid],
                          capture_output=True, text=True, timeout=120, check=False)
    return "finalstage test stand-in" in done.stdout


def clean(cache: Path | None = None, *, legacy: bool = False) -> list[str]:
    """Remove every image named in the test namespace (with ``legacy``, also the names older
    harness versions used), the intermediate images only they used, and the cache directory.
    Returns the names removed."""
    names = stored_names()
    doomed = [n for n in names if n.startswith(NAMESPACE + "/")]
    if legacy:
        doomed += [n for n in names if n.startswith(_LEGACY_PREFIXES)]
        doomed += [n for n in names if n in _BY_NAME and _made_by_harness(names[n])]
    left = sorted(set(doomed), key=lambda n: ("/examples-" not in n, n))  # children first
    for _ in range(len(STANDINS) + 2):  # a parent goes once its children have gone
        remove_images(left)
        now = stored_names()
        left = [n for n in left if n in now]
        if not left:
            break
    shutil.rmtree(cache or cache_dir(), ignore_errors=True)
    return sorted(set(doomed) - set(left))


def main(argv: Sequence[str]) -> int:
    """``build EXAMPLE VARIANT`` | ``ship DEST`` | ``standins`` | ``clean [--legacy]``; errors
    → one block, exit 2."""
    try:
        if len(argv) == 3 and argv[0] == "build":
            b = Builder()
            img = b.build_example(argv[1], argv[2])
            print(json.dumps({**asdict(img), "timings": b.timings}, default=str, indent=2))
        elif len(argv) == 2 and argv[0] == "ship":
            for p in ship(Path(argv[1])):
                print(p)
        elif len(argv) == 1 and argv[0] == "standins":
            b = Builder()
            for key in STANDINS:
                print(key, b.ensure_standin(key)[:12])
        elif argv[:1] == ["clean"] and set(argv[1:]) <= {"--legacy"}:
            for name in clean(legacy="--legacy" in argv):
                print("removed", name)
        else:
            print("usage: build.py build EXAMPLE fat|minimal | ship DEST | standins | "
                  "clean [--legacy]", file=sys.stderr)
            return 2
    except HarnessError as err:
        print(f"build.py: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
