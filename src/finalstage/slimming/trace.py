"""What the fat image's probe run read: the host's ``strace``, brought into the container.

Why strace, bind-mounted, and not fanotify from the host: strace needs no privilege on the host
(a process may trace its own children; podman's default seccomp profile allows it), names every
path the way the process asked for it *and* (``-y``) the file it got, attributes each access to
a process and the program it executed, and sees opens that failed. It works on images without a
shell or a libc: the host's strace, its dynamic loader and its libraries are mounted read-only
at ``/.finalstage-trace`` and started through that loader (``ld.so --library-path``), so
nothing of the image is used to run it. fanotify would need CAP_SYS_ADMIN on the host, reports
host-side overlay paths that must be mapped back, loses short-lived processes, and cannot tell
which name a process used to reach a file through a symlink.

``parse`` reads strace's ``-f -y`` output; ``read_paths`` keeps the paths a process *read*
(opened without ``O_WRONLY``/``O_CREAT``/``O_TRUNC``, or executed) and ``missing`` those of them
that the fat image has and the slim one lacks.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import shutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from finalstage.slimming.elfdeps import read_elf
from finalstage.slimming.fsview import TreeView, norm
from finalstage.slimming.ldcache import cache_lookup, default_dirs, parse_cache
from finalstage.slimming.model import MissingPath

MOUNT = "/.finalstage-trace"
OUT_MOUNT = "/.finalstage-trace-out"
SYSCALLS = "open,openat,openat2,creat,execve,execveat,clone,clone3,fork,vfork"
_IGNORED = ("proc", "sys", "dev", "run/.containerenv", "etc/hosts", "etc/hostname",
            "etc/resolv.conf", "run/secrets", MOUNT.lstrip("/"), OUT_MOUNT.lstrip("/"))
_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+)(?:<(.*)>)?")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_DIRFD = re.compile(r"^(?:AT_FDCWD|\d+)<([^>]*)>")
_WRITES = ("O_WRONLY", "O_CREAT", "O_TRUNC")


@dataclass(frozen=True)
class Access:
    """One successful open or exec: the path as asked, the file got, who asked."""

    path: str
    resolved: str | None
    pid: int
    program: str
    is_exec: bool = False
    is_write: bool = False


def unescape(text: str) -> str:
    """A path as strace quotes it (octal and C escapes) back to its text."""
    if "\\" not in text:
        return text
    raw = codecs.escape_decode(text.encode("latin-1", "backslashreplace"))[0]
    return raw.decode("utf-8", "surrogateescape")


def parse(text: str) -> list[Access]:
    """Successful opens and execs of a ``strace -f -y -o FILE`` log, with the program each
    process had executed (children inherit their parent's until they exec)."""
    pending: dict[int, str] = {}
    program: dict[int, str] = {}
    out: list[Access] = []
    for raw in text.splitlines():
        match = _LINE.match(raw)
        if match is None:
            continue
        pid, rest = int(match.group(1)), match.group(2)
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        if rest.startswith("<... "):
            head = pending.pop(pid, "")
            rest = head + rest[rest.index("resumed>") + len("resumed>"):]
        _event(rest, pid, program, out)
    return [a if a.program else Access(a.path, a.resolved, a.pid,
                                       program.get(a.pid, f"pid {a.pid}"), a.is_exec,
                                       a.is_write) for a in out]


def _event(rest: str, pid: int, program: dict[int, str], out: list[Access]) -> None:
    call = _CALL.match(rest)
    if call is None:
        return
    name, args, ret, fd_path = call.group(1), call.group(2), int(call.group(3)), call.group(4)
    if name in ("clone", "clone3", "fork", "vfork"):
        if ret > 0 and pid in program:
            program.setdefault(ret, program[pid])
        return
    if ret < 0:
        return
    strings = _STRING.findall(args)
    if not strings:
        return
    path = unescape(strings[0])
    cwd_match = _DIRFD.match(args)
    if not path.startswith("/") and cwd_match is not None:
        path = posixpath.join(unescape(cwd_match.group(1)), path)
    if name in ("execve", "execveat"):
        if path.startswith("/proc/"):  # /proc/self/exe: the same binary, as another applet
            argv0 = unescape(strings[1]) if len(strings) > 1 else "?"
            program[pid] = f"{program.get(pid, path)} as {argv0}"
            return
        program[pid] = path
        out.append(Access(path, None, pid, path, is_exec=True))
        return
    write = any(flag in args for flag in _WRITES) or name == "creat"
    out.append(Access(path, unescape(fd_path) if fd_path else None, pid, program.get(pid, ""),
                      is_write=write))


def read_paths(accesses: Iterable[Access]) -> dict[str, str]:
    """Path (tree form) → the program that read it; the engine's own mounts left out."""
    out: dict[str, str] = {}
    for access in accesses:
        if access.is_write:
            continue
        for path in (access.path, access.resolved):
            if not path:
                continue
            tree = norm(path)
            if not tree or tree.startswith(_IGNORED) and any(
                    tree == p or tree.startswith(p + "/") for p in _IGNORED):
                continue
            out.setdefault(tree, access.program)
    return out


def missing(read: dict[str, str], fat: TreeView, kept: Collection[str]) -> list[MissingPath]:
    """Read paths the fat image has (through its symlinks) that the slim image lacks."""
    out: dict[str, MissingPath] = {}
    for path, process in sorted(read.items()):
        found = fat.resolve(path)
        if found.path is None:
            continue  # made at run time, or not there at all
        for need in (*found.links, found.path):
            if need and need not in kept and need not in out:
                out[need] = MissingPath("/" + need, process)
    return list(out.values())


def host_strace() -> tuple[str, str, dict[str, str]] | None:
    """The host's strace, its loader and the libraries it needs (name → host file), or None."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    strace = os.path.realpath(strace)
    try:
        with open("/etc/ld.so.cache", "rb") as fh:
            cache = parse_cache(fh.read())
    except OSError:
        cache = []
    libs: dict[str, str] = {}
    loader = ""
    todo = [strace]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(current, "rb") as fh:
                deps = read_elf(fh.read())
        except OSError:
            return None
        if deps.interpreter and current == strace:
            loader = os.path.realpath(deps.interpreter)
        for name in deps.needed:
            found = _host_lib(name, deps.machine, cache)
            if found is None:
                return None
            libs[name] = found
            todo.append(found)
    return (strace, loader, libs) if loader else None


def _host_lib(name: str, machine: str, cache: list[tuple[str, str, int]]) -> str | None:
    for path in [*cache_lookup(cache, name, machine),
                 *(f"{d}/{name}" for d in default_dirs(machine, False, {}))]:
        if os.path.isfile(path):
            return os.path.realpath(path)
    return None


def stage(directory: str) -> tuple[str, str] | None:
    """Copy the host's strace, its loader and its libraries (under their sonames) into
    ``directory``; return the (loader, strace) paths inside the container, or None."""
    found = host_strace()
    if found is None:
        return None
    strace, loader, libs = found
    os.makedirs(directory, exist_ok=True)
    copies = {"strace": strace, "ld.so": loader, **libs}
    for name, path in copies.items():
        target = os.path.join(directory, name)
        shutil.copyfile(path, target)
        os.chmod(target, 0o755)
    return f"{MOUNT}/ld.so", f"{MOUNT}/strace"


def wrap(loader: str, strace: str, argv: list[str], log: str) -> list[str]:
    """``argv`` run under the mounted strace, loader first (as the entrypoint of ``podman run``
    the loader is ``--entrypoint`` and the rest the arguments): no libc of the image is used."""
    return [loader, "--library-path", MOUNT, strace, "-f", "-qq", "-y", "-s", "4096",
            "-e", f"trace={SYSCALLS}", "-o", f"{OUT_MOUNT}/{log}", "--", *argv]


__all__ = ["MOUNT", "OUT_MOUNT", "Access", "missing", "parse", "read_paths", "stage",
           "unescape", "wrap"]
