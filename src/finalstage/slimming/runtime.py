"""What every container needs besides its programs: the user, ``/tmp``, the working directory.

- ``/etc/passwd`` and ``/etc/group`` (the image's ``USER`` must resolve; libc and runtimes read
  them), the user's home directory (empty);
- ``/etc/nsswitch.conf``, ``/etc/hosts`` and ``/etc/resolv.conf`` when the image has them (the
  engine mounts its own over the last two, the files are the stubs);
- ``/tmp`` (mode 1777 comes from the image, or is made);
- the ``WorkingDir`` and the application files in it (``appfiles``);
- the time zone link ``/etc/localtime``.
"""

from __future__ import annotations

from finalstage.slimming.appfiles import SYSTEM_DIRS, drop_reason, is_app_dir
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.fsview import norm

_STUBS = ("etc/nsswitch.conf", "etc/hosts", "etc/resolv.conf", "etc/localtime")


def keep_runtime(c: Closure, user: str | None, workdir: str | None) -> None:
    """Keep the user databases, stubs, /tmp, the working directory and its app files."""
    who = f"USER {user}" if user else "the default user (root)"
    for path in ("etc/passwd", "etc/group"):
        if c.view.get(path) is not None:
            c.keep(path, f"user database ({who})")
    home = _home(c, user)
    if home and c.is_dir(home):
        c.keep(home, f"home directory of {who}")
    for path in _STUBS:
        if c.view.get(path) is not None:
            c.keep(path, "runtime configuration stub")
    if c.view.get("tmp") is not None:
        c.keep("tmp", "scratch directory /tmp")
    if workdir:
        keep_app_dir(c, norm(workdir), "WorkingDir")


def keep_app_dir(c: Closure, directory: str, why: str, via: str | None = None) -> None:
    """Keep ``directory`` and the application files under it (not in a system directory);
    ``via`` is the kept path that makes it the application's (its program or script)."""
    if c.view.get(directory) is None:
        return
    c.keep(directory, why, via)
    if directory in SYSTEM_DIRS or not c.once(f"app:{directory}"):
        return
    if why != "WorkingDir" and not is_app_dir(directory):
        return

    def skip(path: str) -> str | None:
        if path.endswith("/node_modules"):
            return "node_modules: kept package by package (dependencies only)"
        return drop_reason(path, directory)

    c.keep_tree(directory, f"application file in {show(directory)}", via, skip)


def _home(c: Closure, user: str | None) -> str | None:
    """The home directory of ``user`` (a name or uid, ``user:group`` allowed) per passwd."""
    name = (user or "0").split(":", 1)[0]
    data = c.captured.get("etc/passwd")
    if not isinstance(data, bytes):
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 6 and name in (fields[0], fields[2]):
            return norm(fields[5]) or None
    return None


__all__ = ["keep_app_dir", "keep_runtime"]
