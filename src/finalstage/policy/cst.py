"""container-structure-test (``schemaVersion: 2.0.0``) without a daemon.

``load_cst(path)`` reads a config as strictly as container-structure-test 1.19 does (an unknown
field is an error, not a silently skipped test); ``run_cst(config, fs, metadata)`` runs its
``fileExistenceTests``, ``fileContentTests``, ``metadataTest`` and ``licenseTests`` on the merged
filesystem (``FileSystemView``) and the image config, and its ``commandTests`` through podman
when a runner is given, else reports them skipped with the reason.

Semantics follow container-structure-test's v2 types (names ``File Existence Test: <name>``,
Go ``FileMode.String()`` permissions, RE2-style regexes searched anywhere in the text, ``$VAR``
in paths from the image env, Debian copyright files under ``/usr/share/doc``), with two
deliberate differences from its ``--driver tar``, which extracts the image on the host:
symlinks resolve inside the image, not on the host, and ``uid``/``gid`` are checked from the
layer's tar headers (its tar driver cannot check them and always fails those tests).
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from finalstage.errors import UsageError
from finalstage.userfiles import read_text

SCHEMA_VERSIONS = ("2.0.0",)
DEBIAN_DOC_ROOT = "/usr/share/doc"
# Words that fail a license test, and packages exempt from it (container-structure-test's lists).
_LICENSE_DENY = ("AGPL", "WTFPL")
_LICENSE_EXEMPT = ("libgnutls30",)
_MAX_SYMLINKS = 40


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


# -- loading ------------------------------------------------------------------------------

_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "fileExistenceTests": {"name": str, "path": str, "shouldExist": bool, "permissions": str,
                           "uid": int, "gid": int, "isExecutableBy": str},
    "fileContentTests": {"name": str, "path": str, "expectedContents": list,
                         "excludedContents": list},
    "commandTests": {"name": str, "setup": list, "teardown": list, "envVars": list,
                     "exitCode": int, "command": str, "args": list, "expectedOutput": list,
                     "excludedOutput": list, "expectedError": list, "excludedError": list,
                     "entrypoint": list},
    "metadataTest": {"envVars": list, "unboundEnvVars": list, "exposedPorts": list,
                     "unexposedPorts": list, "entrypoint": list, "cmd": list, "workdir": str,
                     "volumes": list, "unmountedVolumes": list, "labels": list, "user": str},
    "licenseTests": {"debian": bool, "files": list},
}
_TOP = {"schemaVersion", "globalEnvVars", "fileExistenceTests", "fileContentTests",
        "commandTests", "metadataTest", "licenseTests", "containerRunOptions"}
_EXECUTABLE_BY = ("any", "owner", "group", "other")


def load_cst(path: str | Path) -> CstConfig:
    """Read and validate a container-structure-test YAML config."""
    import yaml

    file = Path(path)
    where = f"structure test {file}"
    text = read_text(file, "structure test")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "invalid yaml"
        raise UsageError(f"reading {where}: invalid yaml{at}: {problem}") from err
    except RecursionError as err:  # the yaml composer recurses once per nesting level
        raise UsageError(f"reading {where}: invalid yaml: nested too deeply") from err
    return parse_cst(doc, str(file))


def parse_cst(doc: Any, file: str) -> CstConfig:
    """Validate a parsed config document (see ``load_cst``)."""
    where = f"structure test {file}"
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: expected a mapping at the top level")
    for key in doc:
        if key not in _TOP:
            raise UsageError(f"{where}: unknown field {key!r}")
    version = str(doc.get("schemaVersion", ""))
    if version not in SCHEMA_VERSIONS:
        raise UsageError(f"{where}: unsupported schemaVersion {version!r} (expected 2.0.0)")
    tests: list[CstTest] = []
    for section, kind, label in (
        ("commandTests", "command", "Command Test"),
        ("fileExistenceTests", "fileExistence", "File Existence Test"),
        ("fileContentTests", "fileContent", "File Content Test"),
    ):
        items = doc.get(section) or []
        if not isinstance(items, list):
            raise UsageError(f"{where}: {section} must be a list")
        for n, item in enumerate(items):
            spec = _fields(item, section, f"{where}: {section}[{n}]")
            if not spec.get("name"):
                raise UsageError(f"{where}: {section}[{n}]: every test needs a name")
            if kind != "command" and not spec.get("path"):
                raise UsageError(f"{where}: {section}[{n}] ({spec['name']}): path is required")
            if kind == "command" and not spec.get("command"):
                raise UsageError(f"{where}: {section}[{n}] ({spec['name']}): command is required")
            tests.append(CstTest(kind, f"{label}: {spec['name']}", spec, file))
    metadata = doc.get("metadataTest")
    if metadata:
        tests.append(CstTest("metadata", "Metadata Test",
                             _fields(metadata, "metadataTest", f"{where}: metadataTest"), file))
    licenses = doc.get("licenseTests") or []
    if not isinstance(licenses, list):
        raise UsageError(f"{where}: licenseTests must be a list")
    for n, item in enumerate(licenses):
        tests.append(CstTest("license", "License Test",
                             _fields(item, "licenseTests", f"{where}: licenseTests[{n}]"), file))
    global_env = _env_pairs(doc.get("globalEnvVars") or [], f"{where}: globalEnvVars")
    return CstConfig(file, tuple(tests), global_env)


def _fields(item: Any, section: str, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: expected a mapping")
    allowed = _FIELDS[section]
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key not in allowed:
            raise UsageError(f"{where}: unknown field {key!r}")
        expected = allowed[key]
        if value is None:
            continue
        if expected is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # yaml reads `user: 1000` and `workdir: 1` as numbers
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            name = getattr(expected, "__name__", "value")
            raise UsageError(f"{where}: {key}: expected {name}, got {type(value).__name__}")
        out[key] = value
    if "isExecutableBy" in out and out["isExecutableBy"] not in _EXECUTABLE_BY:
        pass  # container-structure-test fails that test at run time; so do we
    for key in ("expectedContents", "excludedContents", "expectedOutput", "excludedOutput",
                "expectedError", "excludedError"):
        for pattern in out.get(key, ()):
            _compile(pattern, f"{where}: {key}")
    for key in ("envVars", "labels"):
        if key in out:
            out[key] = _env_pairs(out[key], f"{where}: {key}", with_regex=True)
    return out


def _env_pairs(items: Any, where: str, *, with_regex: bool = False) -> tuple[Any, ...]:
    if not isinstance(items, list):
        raise UsageError(f"{where}: expected a list of key/value mappings")
    out: list[tuple[Any, ...]] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("key"):
            raise UsageError(f"{where}: every entry needs a key")
        extra = set(item) - {"key", "value", "isRegex"}
        if extra:
            raise UsageError(f"{where}: unknown field {min(extra)!r}")
        value = "" if item.get("value") is None else str(item.get("value"))
        if with_regex:
            if item.get("isRegex"):
                _compile(value, where)
            out.append((str(item["key"]), value, bool(item.get("isRegex"))))
        else:
            out.append((str(item["key"]), value))
    return tuple(out)


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise UsageError(f"{where}: expected a regex string, got {type(pattern).__name__}")
    try:
        return _regex(pattern)
    except re.error as err:
        raise UsageError(f"{where}: bad regex {pattern!r}: {err}") from err


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    # Go's RE2 and Python's re agree on the syntax configs use; RE2's \z is Python's \Z.
    if pattern not in _REGEX_CACHE:
        _REGEX_CACHE[pattern] = re.compile(pattern.replace(r"\z", r"\Z"))
    return _REGEX_CACHE[pattern]


# -- running ------------------------------------------------------------------------------

def run_cst(
    config: CstConfig,
    fs: FileSystemView,
    metadata: ImageMetadata,
    *,
    runner: CommandRunner | None = None,
    skip_reason: str = "command tests need podman (not found)",
) -> list[CstResult]:
    """Run every test of ``config``; never raises for a failing test."""
    env = dict(metadata.env)
    out: list[CstResult] = []
    for test in config.tests:
        if test.kind == "command":
            if runner is None:
                out.append(CstResult(test, "skip", (skip_reason,)))
            else:
                out.append(_command(test, runner, config.global_env))
            continue
        errors = _RUNNERS[test.kind](test.spec, fs, metadata, env)
        out.append(CstResult(test, "fail" if errors else "pass", tuple(errors)))
    return out


def go_filemode(stat: FileStat) -> str:
    """Go's ``os.FileMode.String()`` of an entry, as container-structure-test compares it."""
    letters = ""
    kind_letter = {"dir": "d", "symlink": "L", "fifo": "p", "block": "D", "char": "Dc"}
    letters += kind_letter.get(stat.kind, "")
    # Go order: d a l T L D p S u g c t ?  (type letters, then setuid/setgid, c, sticky)
    order = {"d": 0, "L": 4, "D": 5, "p": 6, "u": 8, "g": 9, "c": 10, "t": 11}
    if stat.mode & 0o4000:
        letters += "u"
    if stat.mode & 0o2000:
        letters += "g"
    if stat.mode & 0o1000:
        letters += "t"
    letters = "".join(sorted(letters, key=lambda c: order[c])) or "-"
    rwx = "".join(c if stat.mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return letters + rwx


def resolve(fs: FileSystemView, path: str, *,
            follow_last: bool = True) -> tuple[str, FileStat] | None:
    """Follow symlinks (inside the image root) in the components of ``path``; the last one
    too unless ``follow_last`` is False (an ``lstat``)."""
    parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
    current = "/"
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            current = posixpath.dirname(current) or "/"
            continue
        candidate = posixpath.join(current, name)
        stat = fs.lstat(candidate)
        if stat is None:
            return None
        if stat.kind == "symlink" and stat.link is not None and (parts or follow_last):
            hops += 1
            if hops > _MAX_SYMLINKS:
                return None
            target = stat.link
            base = "/" if target.startswith("/") else current
            parts = [p for p in target.split("/") if p and p != "."] + parts
            current = base
            continue
        current = candidate
    stat = fs.lstat(current) if current != "/" else FileStat("dir", 0o755, 0, 0)
    return (current, stat) if stat is not None else None


def _read(fs: FileSystemView, path: str) -> bytes | None:
    found = resolve(fs, path)
    if found is None:
        return None
    real, stat = found
    if stat.kind == "hardlink" and stat.link:
        return fs.read("/" + stat.link.lstrip("/"))
    if stat.kind != "file":
        return None
    return fs.read(real)


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def substitute_env(text: str, env: Mapping[str, str]) -> str:
    """``$VAR`` and ``${VAR}`` from the image env (unset → empty, as Go's os.Expand)."""
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def _file_existence(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                    env: Mapping[str, str]) -> list[str]:
    path = substitute_env(spec["path"], env)
    should_exist = spec.get("shouldExist", True)
    # container-structure-test lstat()s the path: a symlink is itself (mode L…), a dangling
    # one exists.
    found = resolve(fs, path, follow_last=False)
    errors: list[str] = []
    if found is None:
        if should_exist:
            errors.append(f"file {path} should exist but does not")
        return errors
    if not should_exist:
        errors.append(f"file {path} should not exist but does")
    _, stat = found
    if spec.get("permissions"):
        actual = go_filemode(stat)
        if actual != spec["permissions"]:
            errors.append(f"{path} has incorrect permissions: expected {spec['permissions']}, "
                          f"actual {actual}")
    who = spec.get("isExecutableBy")
    if who:
        bits = {"any": 0o111, "owner": 0o100, "group": 0o010, "other": 0o001}.get(who)
        if bits is None:
            errors.append(f"{who} not recognised as a valid option")
        elif not stat.mode & bits:
            errors.append(f"{path} is not executable by {who}: {go_filemode(stat)}")
    if "uid" in spec and spec["uid"] != -1 and stat.uid != spec["uid"]:
        errors.append(f"{path} has incorrect user ownership: expected {spec['uid']}, "
                      f"actual {stat.uid}")
    if "gid" in spec and spec["gid"] != -1 and stat.gid != spec["gid"]:
        errors.append(f"{path} has incorrect group ownership: expected {spec['gid']}, "
                      f"actual {stat.gid}")
    return errors


def _file_content(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                  env: Mapping[str, str]) -> list[str]:
    path = spec["path"]
    data = _read(fs, path)
    if data is None:
        return [f"failed to open {path}: no such regular file"]
    text = data.decode("utf-8", "replace")
    errors = []
    for pattern in spec.get("expectedContents", ()):
        if not _regex(pattern).search(text):
            errors.append(f"expected {pattern!r} not found in {path}")
    for pattern in spec.get("excludedContents", ()):
        if _regex(pattern).search(text):
            errors.append(f"excluded {pattern!r} found in {path}")
    return errors


def _metadata(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
              env: Mapping[str, str]) -> list[str]:
    errors: list[str] = []
    labels = dict(meta.labels)
    for what, table, pairs in (("env var", env, spec.get("envVars", ())),
                               ("label", labels, spec.get("labels", ()))):
        for key, value, is_regex in pairs:
            if key not in table:
                errors.append(f"{what} {key} not found")
                continue
            actual = table[key]
            ok = bool(_regex(value).search(actual)) if is_regex else actual == value
            if not ok:
                # values may be secrets: name the key, never print the value
                errors.append(f"{what} {key} does not match the expected value")
    for item in spec.get("unboundEnvVars", ()):
        name = item.get("key") if isinstance(item, dict) else item
        if name in env:
            errors.append(f"env var {name} should not be set")
    for field_name, argv in (("entrypoint", meta.entrypoint), ("cmd", meta.cmd)):
        if field_name in spec and list(argv or ()) != [str(v) for v in spec[field_name]]:
            errors.append(f"image {field_name} {list(argv or ())} does not match expected "
                          f"{spec[field_name]}")
    if spec.get("workdir") and spec["workdir"] != (meta.workdir or ""):
        errors.append(f"image workdir {meta.workdir or ''!r} does not match {spec['workdir']!r}")
    if spec.get("user") and spec["user"] != (meta.user or ""):
        errors.append(f"image user {meta.user or ''!r} does not match {spec['user']!r}")
    ports = {p.split("/", 1)[0] for p in meta.exposed_ports}
    for port in spec.get("exposedPorts", ()):
        if str(port).split("/", 1)[0] not in ports:
            errors.append(f"port {port} not exposed")
    for port in spec.get("unexposedPorts", ()):
        if str(port).split("/", 1)[0] in ports:
            errors.append(f"port {port} should not be exposed")
    for volume in spec.get("volumes", ()):
        if volume not in meta.volumes:
            errors.append(f"volume {volume} not found")
    for volume in spec.get("unmountedVolumes", ()):
        if volume in meta.volumes:
            errors.append(f"volume {volume} should not be declared")
    return errors


def _license(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
             env: Mapping[str, str]) -> list[str]:
    errors: list[str] = []
    files = list(spec.get("files", ()))
    if spec.get("debian"):
        names = fs.listdir(DEBIAN_DOC_ROOT)
        if names is None:
            return [f"cannot read directory {DEBIAN_DOC_ROOT}"]
        for name in sorted(names):
            found = resolve(fs, f"{DEBIAN_DOC_ROOT}/{name}")
            if found is None or found[1].kind != "dir" or name in _LICENSE_EXEMPT:
                continue
            copyright_file = f"{DEBIAN_DOC_ROOT}/{name}/copyright"
            if resolve(fs, copyright_file) is None:
                errors.append(f"no license file for {name}")
            files.append(copyright_file)
    for path in files:
        data = _read(fs, path)
        if data is None:
            if not errors or not errors[-1].startswith("no license file"):
                errors.append(f"cannot read license file {path}")
            continue
        upper = data.decode("utf-8", "replace").upper()
        for word in _LICENSE_DENY:
            if word in upper:
                errors.append(f"invalid license in {path}: contains {word}")
    return errors


_RUNNERS = {
    "fileExistence": _file_existence,
    "fileContent": _file_content,
    "metadata": _metadata,
    "license": _license,
}


def _command(test: CstTest, runner: CommandRunner,
             global_env: Sequence[tuple[str, str]]) -> CstResult:
    spec = test.spec
    if spec.get("setup") or spec.get("teardown"):
        return CstResult(test, "skip", ("setup/teardown commands are not supported",))
    env = list(global_env) + [(k, v) for k, v, _ in spec.get("envVars", ())]
    entrypoint = spec.get("entrypoint")
    argv = [spec["command"], *[str(a) for a in spec.get("args", ())]]
    try:
        stdout, stderr, code = runner(argv, env, " ".join(entrypoint) if entrypoint else None)
    except OSError as err:
        return CstResult(test, "fail", (f"cannot run the container: {err}",))
    errors = []
    if code != spec.get("exitCode", 0):
        errors.append(f"exit code {code}, expected {spec.get('exitCode', 0)}")
    for key, text, should in (("expectedOutput", stdout, True), ("excludedOutput", stdout, False),
                              ("expectedError", stderr, True), ("excludedError", stderr, False)):
        for pattern in spec.get(key, ()):
            if bool(_regex(pattern).search(text)) != should:
                errors.append(f"{key}: {pattern!r} {'not found' if should else 'found'}")
    return CstResult(test, "fail" if errors else "pass", tuple(errors))


def podman_runner(image: str, *, timeout: float = 120.0) -> CommandRunner | None:
    """A runner that uses podman (with the flags that work unprivileged here), or None."""
    podman = shutil.which("podman")
    if podman is None:
        return None

    def run(argv: Sequence[str], env: Sequence[tuple[str, str]],
            entrypoint: str | None) -> tuple[str, str, int]:
        cmd = [podman, "--runtime", shutil.which("runc") or "runc",
               "--cgroup-manager", "cgroupfs", "run", "--rm",
               "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none",
               "--entrypoint", entrypoint if entrypoint is not None else "[]"]
        for key, value in env:
            cmd += ["--env", f"{key}={value}"]
        cmd += [image, *argv]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return "", f"timed out after {timeout:g} s", -1
        return (done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                done.returncode)

    return run


def podman_image_ref(reference: str) -> str:
    """The name podman runs for a finalstage image reference."""
    if reference.startswith("containers-storage:"):
        return reference[len("containers-storage:"):]
    if reference.startswith(("docker-archive:", "oci-archive:", "oci:", "docker://")):
        return reference
    path = Path(reference)
    if path.is_dir():
        return f"oci:{reference}"
    if path.is_file():
        # finalstage tells docker-archive from oci-archive by content; podman wants the prefix
        return f"{'oci-archive' if _is_oci_tar(path) else 'docker-archive'}:{reference}"
    return reference


def _is_oci_tar(path: Path) -> bool:
    import tarfile

    try:
        with tarfile.open(path) as tar:
            names = set(tar.getnames()[:64])
    except (OSError, tarfile.TarError):
        return False
    return "oci-layout" in names and "manifest.json" not in names


# -- the merged tree as a FileSystemView --------------------------------------------------

_TREE_KINDS = {"f": "file", "d": "dir", "l": "symlink", "h": "hardlink", "c": "char",
               "b": "block", "p": "fifo"}


@dataclass
class TreeView:
    """``FileSystemView`` over finalstage's MergedTree; file bytes come from ``contents``
    (path without leading slash → bytes, captured while the layers were streamed)."""

    tree: Any
    contents: Mapping[str, bytes] = field(default_factory=dict)

    def lstat(self, path: str) -> FileStat | None:
        """The merged-tree entry at ``path``."""
        entry = self.tree.get(path.strip("/"))
        if entry is None:
            return None
        return FileStat(_TREE_KINDS.get(entry.kind, entry.kind), entry.mode & 0o7777, entry.uid,
                        entry.gid, entry.size, entry.link, entry.layer)

    def listdir(self, path: str) -> Sequence[str] | None:
        """Child names of directory ``path`` in the merged tree."""
        entry = self.tree.get(path.strip("/"))
        if entry is None or entry.kind != "d":
            return None
        return [e.name for e in self.tree.listdir(path.strip("/"))]

    def read(self, path: str) -> bytes | None:
        """The bytes read for ``path`` (only the files ``needed_files`` named)."""
        return self.contents.get(path.strip("/"))


def needed_files(configs: Sequence[CstConfig], fs: FileSystemView,
                 env: Mapping[str, str]) -> set[str]:
    """The regular files (absolute, symlinks resolved, hardlinks followed) whose bytes the
    content and license tests will read, so the caller reads just those from their layers."""
    paths: list[str] = []
    for config in configs:
        for test in config.tests:
            if test.kind == "fileContent":
                paths.append(test.spec["path"])
            elif test.kind == "license":
                paths.extend(test.spec.get("files", ()))
                if test.spec.get("debian"):
                    for name in fs.listdir(DEBIAN_DOC_ROOT) or ():
                        paths.append(f"{DEBIAN_DOC_ROOT}/{name}/copyright")
    out: set[str] = set()
    for path in paths:
        found = resolve(fs, path)
        if found is None:
            continue
        real, stat = found
        if stat.kind == "hardlink" and stat.link:
            out.add("/" + stat.link.lstrip("/"))
        elif stat.kind == "file":
            out.add(real)
    return out


__all__ = ["CstConfig", "CstResult", "CstTest", "FileStat", "FileSystemView", "ImageMetadata",
           "TreeView", "go_filemode", "load_cst", "needed_files", "parse_cst", "podman_image_ref",
           "podman_runner", "resolve", "run_cst", "substitute_env"]
