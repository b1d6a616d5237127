"""What one simple command of a RUN does to the files it reads: compile or bundle them
(``build_step``), or generate a private key (``key_output``)."""

from __future__ import annotations

from finalstage.rules._shell import Cmd

__all__ = ["build_step", "key_output"]

_BUILD_SUBCOMMANDS = {
    "go": {"build", "install"}, "cargo": {"build", "install"},
    "mvn": {"package", "install", "verify", "compile"},
    "mvnw": {"package", "install", "verify", "compile"},
    "gradle": {"build", "assemble", "bootjar", "installdist", "shadowjar", "jar", "war",
               "distzip", "bootwar", "assembledist"},
    "gradlew": {"build", "assemble", "bootjar", "installdist", "shadowjar", "jar", "war",
                "distzip", "bootwar", "assembledist"},
    "dotnet": {"build", "publish"}, "msbuild": {"*"}, "mix": {"compile", "release"},
    "stack": {"build", "install"}, "cabal": {"build", "install"}, "swift": {"build"},
    "zig": {"build"}, "sbt": {"compile", "assembly", "stage", "package"},
    "lein": {"uberjar", "compile"}, "bazel": {"build"}, "elm": {"make"}, "bun": {"build"},
    "vite": {"build"}, "next": {"build"}, "ng": {"build"}, "nuxt": {"build", "generate"},
    "gatsby": {"build"}, "astro": {"build"}, "parcel": {"build"}, "turbo": {"build"},
}
_COMPILERS = {"gcc", "g++", "cc", "c++", "clang", "clang++", "make", "cmake", "ninja", "meson",
              "tsc", "webpack", "esbuild", "rollup", "javac", "rustc", "ghc", "scons", "swc"}
_NODE_RUNNERS = ("npm", "yarn", "pnpm", "bun")


def build_step(cmd: Cmd) -> str | None:
    """A short description when ``cmd`` compiles or bundles, else None."""
    words = [w.lower() for w in cmd.words()]
    sub = _BUILD_SUBCOMMANDS.get(cmd.name)
    if sub and words and (words[0] in sub or "*" in sub):
        return f"{cmd.name} {cmd.words()[0]}"
    if cmd.name in _COMPILERS:
        return cmd.name
    if cmd.name in _NODE_RUNNERS:
        script = words[1] if words[:1] == ["run"] and len(words) > 1 else (
            words[0] if words and cmd.name != "npm" else "")
        if script == "build" or script.startswith(("build:", "build-")):
            return f"{cmd.name} {' '.join(words[:2] if words[0] == 'run' else words[:1])}"
    if cmd.name == "npx" and words and words[0] in _BUILD_SUBCOMMANDS | dict.fromkeys(
            _COMPILERS):
        return f"npx {words[0]}"
    return None


# openssl subcommands that write a new private key, and the flag naming the file.
_OPENSSL_KEYS = {"genrsa": ("-out",), "genpkey": ("-out",), "gendsa": ("-out",),
                 "ecparam": ("-out",), "req": ("-keyout",)}


def key_output(cmd: Cmd, home: str = "/root") -> tuple[str, str] | None:
    """``(path, command)`` when ``cmd`` writes a new private key to ``path`` (``home``: where
    ``~`` is for ssh-keygen's default), else None."""
    words = cmd.words()
    if cmd.name == "openssl" and words and words[0] in _OPENSSL_KEYS:
        verb = words[0]
        if verb == "ecparam" and not cmd.has_flag("-genkey"):
            return None
        if verb == "req" and not (cmd.has_flag("-newkey") or cmd.has_flag("-nodes")):
            return None
        for flag in _OPENSSL_KEYS[verb]:
            path = cmd.flag_value(flag)
            if path and "$" not in path:
                return path, f"openssl {verb}"
        return None
    if cmd.name == "ssh-keygen" and not cmd.has_flag("-y", "-l", "-R", "-F", "-e", "-i"):
        if cmd.has_flag("-A"):
            return "/etc/ssh", "ssh-keygen -A"
        path = cmd.flag_value("-f") or f"{home}/.ssh/id_{cmd.flag_value('-t') or 'rsa'}"
        if "$" not in path:
            return path, "ssh-keygen"
    return None
