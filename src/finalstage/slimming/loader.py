"""ELF closure, resolved the way the dynamic loader resolves it.

For each kept ELF file: its ``PT_INTERP``; each ``DT_NEEDED`` searched in ``DT_RPATH`` (of the
object and of the executable, when there is no ``DT_RUNPATH``), ``LD_LIBRARY_PATH``,
``DT_RUNPATH``, ``ld.so.cache``, ``ld.so.conf`` and the default directories, with ``$ORIGIN``
expanded and a candidate of the wrong class or machine skipped (as ld.so does). Then what a
libc program may ``dlopen`` later: the NSS modules ``nsswitch.conf`` names, ``libgcc_s`` (thread
cancellation), gconv modules for an ``iconv_open`` user, and the files the loader and libc read
(``ld.so.cache``, ``nsswitch.conf``). TLS users get the CA bundle and the OpenSSL config; Go
programs that read zoneinfo (without embedding tzdata) get ``/usr/share/zoneinfo``.
"""

from __future__ import annotations

import functools
import posixpath

from finalstage.slimming.closure import Closure, show
from finalstage.slimming.elfdeps import ElfDeps
from finalstage.slimming.fsview import norm
from finalstage.slimming.ldcache import (
    cache_lookup,
    conf_dirs,
    default_dirs,
    multiarch,
    parse_cache,
)

_TLS_LIBS = ("libssl.so", "libcrypto.so", "libgnutls.so", "libnss3.so", "libmbedtls.so",
             "libwolfssl.so", "libcurl.so", "libcurl-gnutls.so")
CA_BUNDLES = ("etc/ssl/certs/ca-certificates.crt", "etc/pki/tls/certs/ca-bundle.crt",
              "etc/ssl/cert.pem", "etc/ssl/certs/ca-bundle.crt",
              "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")
_OPENSSL_CONF = ("usr/lib/ssl/openssl.cnf", "etc/ssl/openssl.cnf", "etc/pki/tls/openssl.cnf")
_NSS_DATABASES = ("passwd", "group", "shadow", "hosts", "networks", "protocols", "services",
                  "ethers", "rpc", "netgroup", "initgroups")


class Loader:
    """Adds the loader closure of every ELF file the closure keeps."""

    def __init__(self, closure: Closure) -> None:
        self.c = closure
        files = {p: v for p, v in closure.captured.items()
                 if isinstance(v, bytes) and p.startswith("etc/")}
        self.files = files
        self.cache = parse_cache(files.get("etc/ld.so.cache", b""))
        self.conf = conf_dirs(files)
        self.env_path = [d for d in closure.env.get("LD_LIBRARY_PATH", "").split(":") if d]
        self.exe_rpath: tuple[str, ...] = ()
        closure.on_elf = self.expand

    def expand(self, path: str, deps: ElfDeps) -> None:
        """Keep what ``path`` needs to load."""
        if deps.error:
            self.c.warn(f"{show(path)}: {deps.error}")
            return
        name = posixpath.basename(path)
        is_musl = bool(deps.interpreter and "ld-musl" in deps.interpreter)
        if deps.interpreter:
            self.c.keep(deps.interpreter, f"PT_INTERP of {show(path)}", path)
            if not self.exe_rpath and not deps.runpath:
                self.exe_rpath = deps.rpath
            if not is_musl and self.c.once("glibc-files"):
                self._glibc_files(path)
        for needed in deps.needed:
            found = self.find(needed, deps, path, is_musl)
            if found is None:
                self.c.later(functools.partial(self._not_found, path, needed))
                continue
            self.c.keep(found, f"DT_NEEDED of {name}", path)
            if needed.startswith("libc.so.") and not is_musl and self.c.once("glibc-dlopen"):
                self.c.later(functools.partial(self._glibc_dlopen, path, deps))
            if needed.startswith(_TLS_LIBS) and self.c.once("tls"):
                self._tls(path)
        self._flags(path, deps, is_musl)
        for file in deps.files:
            if self.c.view.is_file(self.c.view.resolve(file).path or ""):
                self.c.keep(file, f"data file named in {name}", path)

    def _not_found(self, path: str, needed: str) -> None:
        """Warn about a DT_NEEDED the search misses, unless a kept library of that name is
        loaded first by other means (the loader reuses a loaded object of the same soname: the
        JVM's libraries name ``libjvm.so``, which the launcher dlopens by its full path)."""
        suffix = "/" + needed
        if not any(kept.endswith(suffix) for kept in self.c.kept):
            self.c.warn(f"{show(path)}: DT_NEEDED {needed} not found in the image")

    def _flags(self, path: str, deps: ElfDeps, is_musl: bool) -> None:
        if "iconv" in deps.flags and not is_musl and self.c.once("gconv"):
            gconv = f"usr/lib/{multiarch(deps.machine)}/gconv"
            self.c.keep_tree(gconv, f"gconv modules for iconv_open in {show(path)}", path)
        if deps.is_go:
            if "go-tls" in deps.flags and self.c.once("tls"):
                self._tls(path)
            if "go-zoneinfo" in deps.flags and "go-tzdata" not in deps.flags \
                    and self.c.once("zoneinfo"):
                self.c.keep_tree("usr/share/zoneinfo",
                                 f"time zones read by Go's time.LoadLocation in {show(path)}",
                                 path)

    # -- search ---------------------------------------------------------------------------
    def find(self, needed: str, deps: ElfDeps, path: str, is_musl: bool) -> str | None:
        """The path the loader would open for ``needed`` (asked by ``path``)."""
        if "/" in needed:
            return self._usable(norm(needed), deps)
        origin = posixpath.dirname("/" + path)
        dirs: list[str] = []
        if not deps.runpath:
            dirs += [*deps.rpath, *self.exe_rpath]
        dirs += self.env_path
        dirs += deps.runpath
        for directory in dirs:
            for expanded in _expand(directory, origin, deps.machine):
                hit = self._usable(norm(posixpath.join(expanded, needed)), deps)
                if hit is not None:
                    return hit
        if not is_musl:
            for candidate in cache_lookup(self.cache, needed, deps.machine):
                hit = self._usable(norm(candidate), deps)
                if hit is not None:
                    return hit
            dirs = self.conf
        else:
            dirs = []
        for directory in [*dirs, *default_dirs(deps.machine, is_musl, self.files)]:
            hit = self._usable(norm(posixpath.join(directory, needed)), deps)
            if hit is not None:
                return hit
        return None

    def _usable(self, candidate: str, deps: ElfDeps) -> str | None:
        """``candidate`` when it exists and is ELF of the same class and machine (the
        loader skips the others and searches on); the path as found, links not followed."""
        real = self.c.view.resolve(candidate).path
        if real is None:
            return None
        value = self.c.value(real)
        if isinstance(value, ElfDeps) and not value.error and (
                value.bits != deps.bits or value.machine != deps.machine):
            return None
        return candidate if (value is None or isinstance(value, ElfDeps)) \
            and self.c.view.real_file(real) is not None else None

    # -- what libc loads or reads later -----------------------------------------------------
    def _glibc_files(self, path: str) -> None:
        for file in ("etc/ld.so.cache", "etc/ld.so.conf"):
            self.c.keep(file, "read by the dynamic loader", path)
        if self.c.view.get("etc/ld.so.conf.d") is not None:
            self.c.keep_tree("etc/ld.so.conf.d", "read by the dynamic loader", path)

    def _glibc_dlopen(self, path: str, deps: ElfDeps) -> None:
        """NSS modules per nsswitch.conf and libgcc_s: loaded by glibc with dlopen."""
        conf = self.c.keep("etc/nsswitch.conf", "read by glibc's NSS (user and host lookups)",
                           path)
        services = _nss_services(self.files.get("etc/nsswitch.conf", b"")) if conf else \
            {"files", "dns"}
        for service in sorted(services):
            module = f"libnss_{service}.so.2"
            found = self.find(module, deps, path, False)
            if found is not None:
                self.c.keep(found, f"NSS module '{service}' named in /etc/nsswitch.conf", path)
        for name in ("libgcc_s.so.1",):
            found = self.find(name, deps, path, False)
            if found is not None:
                self.c.keep(found, "dlopen'd by glibc for thread cancellation", path)
        for file in ("etc/localtime", "etc/timezone", "etc/host.conf", "etc/gai.conf"):
            if self.c.view.get(file) is not None:
                self.c.keep(file, "read by glibc (time zone, resolver)", path)
        gconv = f"usr/lib/{multiarch(deps.machine)}/gconv"
        for file in ("gconv-modules", "gconv-modules.cache"):
            if self.c.view.get(f"{gconv}/{file}") is not None:
                self.c.keep(f"{gconv}/{file}", "read by glibc's setlocale (gconv cache)", path)
        if self.c.view.get(f"{gconv}/gconv-modules.d") is not None:
            self.c.keep_tree(f"{gconv}/gconv-modules.d", "read by glibc's setlocale", path)
        self.locale(self.c.env.get("LC_ALL") or self.c.env.get("LC_CTYPE")
                    or self.c.env.get("LANG"), path)

    def locale(self, name: str | None, via: str) -> None:
        """The locale ``name`` (``C.UTF-8``, ``en_US.UTF-8``) as glibc loads it from disk."""
        if not name or name in ("C", "POSIX") or not self.c.once(f"locale:{name}"):
            return
        base, _, codeset = name.partition(".")
        normal = f"{base}.{codeset.lower().replace('-', '')}" if codeset else base
        for candidate in (name, normal):
            if self.c.is_dir(f"usr/lib/locale/{candidate}"):
                self.c.keep_tree(f"usr/lib/locale/{candidate}", f"locale {name}", via)
                return
        if self.c.view.get("usr/lib/locale/locale-archive") is not None:
            self.c.keep("usr/lib/locale/locale-archive", f"locale {name}", via)

    def _tls(self, path: str) -> None:
        for bundle in CA_BUNDLES:
            if self.c.view.exists(bundle):
                self.c.keep(bundle, f"CA bundle for TLS in {show(path)}", path)
        for conf in _OPENSSL_CONF:
            if self.c.view.exists(conf):
                self.c.keep(conf, f"OpenSSL configuration for {show(path)}", path)


def _expand(directory: str, origin: str, machine: str) -> list[str]:
    """``$ORIGIN``/``$LIB``/``$PLATFORM`` substituted as ld.so does (``$LIB`` both ways)."""
    out = directory.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
    if "$PLATFORM" in out or "${PLATFORM}" in out:
        platform = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}.get(machine, "")
        out = out.replace("${PLATFORM}", platform).replace("$PLATFORM", platform)
    if "LIB" in out and ("$LIB" in out or "${LIB}" in out):
        return [out.replace("${LIB}", lib).replace("$LIB", lib)
                for lib in (f"lib/{multiarch(machine)}", "lib64", "lib")]
    return [out]


def _nss_services(data: bytes) -> set[str]:
    """Service names of the databases in an nsswitch.conf (actions in brackets skipped)."""
    services: set[str] = set()
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        key, sep, rest = line.partition(":")
        if not sep or key.strip() not in _NSS_DATABASES:
            continue
        for word in rest.replace("[", " [").split():
            if not word.startswith("[") and not word.endswith("]") and "=" not in word:
                services.add(word)
    return services


__all__ = ["CA_BUNDLES", "Loader"]
