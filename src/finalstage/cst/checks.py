"""The tests that read the image without running it: file existence, file content, metadata and
licenses. Each takes its validated spec, the filesystem, the image metadata and env, and returns
its error messages (none: it passed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from finalstage.cst.fsview import go_filemode, read_file, regular_file, resolve, substitute_env
from finalstage.cst.model import CstConfig, FileSystemView, ImageMetadata
from finalstage.cst.patterns import regex

DEBIAN_DOC_ROOT = "/usr/share/doc"
# Words that fail a license test, and packages exempt from it (container-structure-test's lists).
_LICENSE_DENY = ("AGPL", "WTFPL")
_LICENSE_EXEMPT = ("libgnutls30",)
_EXECUTABLE_BITS = {"any": 0o111, "owner": 0o100, "group": 0o010, "other": 0o001}

Check = Callable[[Mapping[str, Any], FileSystemView, ImageMetadata, Mapping[str, str]],
                 list[str]]


def check_file_existence(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                         env: Mapping[str, str]) -> list[str]:
    """``fileExistenceTests``: presence, permissions, executable bits and ownership."""
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
        bits = _EXECUTABLE_BITS.get(who)
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


def check_file_content(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                       env: Mapping[str, str]) -> list[str]:
    """``fileContentTests``: regexes that must, or must not, be found in a file."""
    path = spec["path"]
    data = read_file(fs, path)
    if data is None:
        return [f"failed to open {path}: no such regular file"]
    text = data.decode("utf-8", "replace")
    errors = []
    for pattern in spec.get("expectedContents", ()):
        if not regex(pattern).search(text):
            errors.append(f"expected contents '{pattern}' not found in {path}")
    for pattern in spec.get("excludedContents", ()):
        if regex(pattern).search(text):
            errors.append(f"excluded contents '{pattern}' found in {path}")
    return errors


def check_metadata(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                   env: Mapping[str, str]) -> list[str]:
    """``metadataTest``: env, labels, entrypoint, cmd, workdir, user, ports and volumes."""
    errors = _env_and_labels(spec, meta, env)
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


def _env_and_labels(spec: Mapping[str, Any], meta: ImageMetadata,
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
            ok = bool(regex(value).search(actual)) if is_regex else actual == value
            if not ok:
                # values may be secrets: name the key, never print the value
                errors.append(f"{what} {key} does not match the expected value")
    return errors


def license_files(spec: Mapping[str, Any], fs: FileSystemView) -> tuple[list[str], list[str]]:
    """``licenseTests``: the files to read (``files``, and with ``debian`` every package's
    copyright file), and the packages that have none."""
    files = list(spec.get("files", ()))
    missing: list[str] = []
    if spec.get("debian"):
        for name in sorted(fs.listdir(DEBIAN_DOC_ROOT) or ()):
            found = resolve(fs, f"{DEBIAN_DOC_ROOT}/{name}")
            if found is None or found[1].kind != "dir" or name in _LICENSE_EXEMPT:
                continue
            copyright_file = f"{DEBIAN_DOC_ROOT}/{name}/copyright"
            if resolve(fs, copyright_file) is None:
                missing.append(name)
            files.append(copyright_file)
    return files, missing


def check_license(spec: Mapping[str, Any], fs: FileSystemView, meta: ImageMetadata,
                  env: Mapping[str, str]) -> list[str]:
    """``licenseTests``: every license file is readable and names no denied license."""
    if spec.get("debian") and fs.listdir(DEBIAN_DOC_ROOT) is None:
        return [f"cannot read directory {DEBIAN_DOC_ROOT}"]
    files, missing = license_files(spec, fs)
    errors = [f"no license file for {name}" for name in missing]
    for path in files:
        data = read_file(fs, path)
        if data is None:
            if not errors or not errors[-1].startswith("no license file"):
                errors.append(f"cannot read license file {path}")
            continue
        upper = data.decode("utf-8", "replace").upper()
        for word in _LICENSE_DENY:
            if word in upper:
                errors.append(f"invalid license in {path}: contains {word}")
    return errors


CHECKS: Mapping[str, Check] = {
    "fileExistence": check_file_existence,
    "fileContent": check_file_content,
    "metadata": check_metadata,
    "license": check_license,
}
"""The check of each test kind that reads the image without running it."""


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
                paths.extend(license_files(test.spec, fs)[0])
    out: set[str] = set()
    for path in paths:
        real = regular_file(fs, path)
        if real is not None:
            out.add(real)
    return out


__all__ = ["CHECKS", "DEBIAN_DOC_ROOT", "check_file_content", "check_file_existence",
           "check_license", "check_metadata", "license_files", "needed_files"]
