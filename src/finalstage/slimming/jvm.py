"""The JVM closure: the Java home whose ``java`` the entrypoint runs, and the classpath.

``java`` is the launcher of a Java home (``JAVA_HOME/bin/java``, reached on Debian through
``/usr/bin/java`` → ``/etc/alternatives/java``). The runtime ``dlopen``s its own libraries
(``lib/server/libjvm.so`` per ``lib/jvm.cfg``, ``libjava``, ``libnio``, ``libnet``…) and reads
``lib/modules``, ``conf/`` and ``lib/security``, none of which a loader walk sees, so the home
is kept whole (each library with its ELF closure) minus what only a developer or a desktop
uses: the other tools of ``bin/``, ``jmods``, headers, sources, man pages, docs, ``ct.sym``
(javac's symbols) and the GUI libraries. Symlinks out of the home (Debian's ``conf`` →
``/etc/java-17-openjdk``, ``cacerts`` → ``/etc/ssl/certs/java/cacerts``) are followed.

The classpath: ``-jar JAR`` and the jars its manifest's ``Class-Path`` names (relative to the
jar), ``-cp``/``-classpath``/``--class-path`` and ``--module-path`` entries (``DIR/*`` is every
jar in DIR), ``-javaagent:JAR``; without ``-cp`` or ``-jar``, ``CLASSPATH``, else the working
directory. ``JDK_JAVA_OPTIONS`` counts as arguments.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from finalstage.image.tarheader import SYMLINK
from finalstage.slimming.capture import JarManifest
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.fsview import norm

# Under the Java home: never needed to run a program.
_DEV_DIRS = frozenset({"jmods", "include", "demo", "sample", "man", "docs", "src"})
_DEV_FILES = frozenset({"src.zip", "ct.sym", "jexec", "classlist"})
_GUI_LIBS = frozenset({"libawt_xawt.so", "libjawt.so", "libsplashscreen.so", "libjsound.so",
                       "libatk-wrapper.so"})
# Options that take the next word as their value (besides the classpath ones).
_VALUED = frozenset({"--add-modules", "--add-opens", "--add-exports", "--add-reads",
                     "--limit-modules", "--upgrade-module-path", "--patch-module",
                     "--enable-native-access", "--source", "-d", "--describe-module"})
_PATH_OPTIONS = frozenset({"-cp", "-classpath", "--class-path", "-p", "--module-path"})


def java_home(real: str) -> str | None:
    """The Java home of the launcher at tree path ``real`` (``HOME/bin/java``)."""
    bin_dir = posixpath.dirname(real)
    if posixpath.basename(bin_dir) != "bin":
        return None
    return posixpath.dirname(bin_dir) or None


def dev_reason(path: str, home: str) -> str | None:
    """Why ``path`` under the Java home is left out (None: kept)."""
    rel = path[len(home) + 1:]
    parts = rel.split("/")
    name = parts[-1]
    if parts[0] in _DEV_DIRS or name in _DEV_FILES:
        return "Java development file (tools, headers, sources, jmods, docs)"
    if parts[0] == "bin" and len(parts) == 2 and name != "java":
        return "Java home tool other than java (javac, jar, jshell…)"
    if name in _GUI_LIBS:
        return "Java GUI library (AWT/X11, sound): a container runs headless"
    return None


class Jvm:
    """Follows ``java`` programs."""

    def __init__(self, closure: Closure) -> None:
        self.c = closure

    def run(self, c: Closure, real: str, invoked: str, args: Sequence[str], via: str) -> None:
        home = java_home(real)
        if home is not None and c.once(f"jvm:{home}"):
            self.home(home, f"Java home of {show(real)}", real)
        extra = c.env.get("JDK_JAVA_OPTIONS", "").split()
        paths, jar = _parse([*extra, *args])
        for entry in paths:
            self.classpath(entry, f"classpath of {show(real)}", real)
        if jar is not None:
            self.jar(posixpath.join("/" + c.workdir, jar), f"-jar of {show(real)}", real)
        if not paths and jar is None:
            fallback = c.env.get("CLASSPATH")
            for entry in (fallback.split(":") if fallback else ["."]):
                self.classpath(entry, "CLASSPATH" if fallback else "default classpath (.)",
                               real)

    def home(self, home: str, why: str, via: str) -> None:
        """The Java home minus development files, and what its symlinks point to."""
        self.c.keep_tree(home, why, via, lambda path: dev_reason(path, home))
        for entry in list(self.c.view.walk(home)):
            if entry.kind != SYMLINK or not self.c.is_kept(entry.path):
                continue
            target = self.c.view.resolve(entry.path).path
            if target is not None and self.c.is_dir(target):
                self.c.keep_tree(target, f"linked from the Java home ({show(entry.path)})",
                                 entry.path)
            else:
                self.c.keep(entry.path, f"linked from the Java home ({why})", via)

    def classpath(self, entry: str, why: str, via: str) -> None:
        """One classpath entry: a jar, a directory of classes, or ``DIR/*`` (its jars)."""
        path = norm(posixpath.join("/" + self.c.workdir, entry or "."))
        if entry.endswith("/*") or entry == "*":
            directory = posixpath.dirname(path) if entry != "*" else norm(self.c.workdir)
            for name in self.c.view.children(directory):
                if name.endswith((".jar", ".JAR")):
                    self.jar(f"{directory}/{name}", why, via)
            return
        if self.c.is_dir(path):
            self.c.keep_tree(path, why, via)
        elif self.c.view.exists(path):
            self.jar(path, why, via)
        else:
            self.c.warn(f"classpath entry {entry!r} ({why}) not found in the image")

    def jar(self, path: str, why: str, via: str) -> None:
        """A jar and, per its manifest, the jars on its ``Class-Path``."""
        real = self.c.keep(path, why, via)
        if real is None:
            self.c.warn(f"jar {show(norm(path))} ({why}) not found in the image")
            return
        if not self.c.once(f"jar:{real}"):
            return
        manifest = self.c.value(real)
        if not isinstance(manifest, JarManifest):
            return
        base = posixpath.dirname(real)
        for ref in manifest.class_path:
            target = norm(posixpath.join("/" + base, ref))
            if ref.endswith("/"):
                if self.c.is_dir(target):
                    self.c.keep_tree(target, f"Class-Path of {show(real)}", real)
            elif self.c.view.exists(target):
                self.jar(target, f"Class-Path of {show(real)}", real)


def _parse(args: list[str]) -> tuple[list[str], str | None]:
    """The classpath entries and the ``-jar`` file of a ``java`` command line."""
    paths: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "-jar":
            return paths, args[i + 1] if i + 1 < len(args) else None
        if word in _PATH_OPTIONS and i + 1 < len(args):
            paths += [p for p in args[i + 1].split(":") if p]
            i += 2
            continue
        if word.startswith(("--class-path=", "--module-path=")):
            paths += [p for p in word.split("=", 1)[1].split(":") if p]
        elif word.startswith("-javaagent:"):
            paths.append(word[len("-javaagent:"):].split("=", 1)[0])
        elif word in _VALUED:
            i += 1
        elif not word.startswith("-"):
            break  # the main class: what follows are the program's arguments
        i += 1
    return paths, None


__all__ = ["Jvm", "dev_reason", "java_home"]
