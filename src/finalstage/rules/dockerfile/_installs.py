"""Dependency installs: which ones bring development dependencies, and where each one puts its
installed tree (``node_modules``, ``vendor``, site-packages, the bundle path).

Shared by FS105 (an install in the final chain) and the stage graph (``_trees``), which follows
an installed tree from a builder across ``COPY --from``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping

from finalstage.rules._shell import Cmd

_DEV_REQUIREMENTS = re.compile(r"(^|[/_-])(dev|test|tests|testing|lint|ci|docs)([_.-]|$)|"
                               r"requirements[-_]?(dev|test)", re.IGNORECASE)
_DEV_EXTRAS = re.compile(r"\[[^\]]*\b(dev|test|tests|testing|lint|all)\b[^\]]*\]", re.IGNORECASE)


def _env_says(env: Mapping[str, str], text: str, name: str, values: tuple[str, ...]) -> bool:
    if env.get(name, "").strip("\"'").lower() in values:
        return True
    # Inline assignment: `NODE_ENV=production npm ci`, `export NODE_ENV=production`.
    return re.search(rf"\b{name}=[\"']?({'|'.join(values)})\b", text, re.IGNORECASE) is not None


def dev_install(cmd: Cmd, env: Mapping[str, str], text: str) -> str | None:
    """A description of how ``cmd`` installs development dependencies, or None."""
    node_prod = _env_says(env, text, "NODE_ENV", ("production", "prod"))
    if cmd.name == "npm" and cmd.args and cmd.args[0] in ("install", "i", "ci", "add"):
        if len(cmd.words()) > 1 or cmd.has_flag("-g", "--global"):
            return None  # named packages or a global tool, not the project's devDependencies
        if cmd.has_flag("--omit") and "dev" in (cmd.flag_value("--omit") or ""):
            return None
        if cmd.has_flag("--production", "--only") or node_prod:
            return None
        if _env_says(env, text, "NPM_CONFIG_PRODUCTION", ("true", "1")) or _env_says(
                env, text, "NPM_CONFIG_OMIT", ("dev",)):
            return None
        return f"npm {cmd.args[0]} without --omit=dev"
    if cmd.name == "yarn" and (not cmd.words() or cmd.words()[0] == "install"):
        if cmd.has_flag("--production", "--prod") or node_prod:
            return None
        return "yarn install without --production"
    if cmd.name == "yarn" and cmd.words()[:2] == ("workspaces", "focus"):
        return None if cmd.has_flag("--production") else "yarn workspaces focus without --production"
    if cmd.name == "pnpm" and cmd.args and cmd.args[0] in ("install", "i"):
        if len(cmd.words()) > 1 or cmd.has_flag("-g", "--global"):
            return None
        if cmd.has_flag("--prod", "-P", "--production") or node_prod:
            return None
        return "pnpm install without --prod"
    if cmd.name in ("pip", "pip3", "uv") or re.fullmatch(r"pip3?\.\d+", cmd.name):
        return _pip(cmd)
    if cmd.name == "poetry" and cmd.args and cmd.args[0] == "install":
        only = cmd.flag_value("--only") or ""
        without = cmd.flag_value("--without") or ""
        if cmd.has_flag("--no-dev") or (only and "dev" not in only) or "dev" in without:
            return None
        return "poetry install without --only main"
    if cmd.name == "pipenv" and cmd.has_flag("--dev", "-d"):
        return "pipenv install --dev"
    if cmd.name in ("bundle", "bundler") and cmd.args and cmd.args[0] == "install":
        if cmd.has_flag("--without") or _bundle_without(env, text):
            return None
        return "bundle install without excluding the development and test groups"
    if cmd.name == "composer" and cmd.args and cmd.args[0] in ("install", "update"):
        if cmd.has_flag("--no-dev") or _env_says(env, text, "COMPOSER_NO_DEV", ("1", "true")):
            return None
        return f"composer {cmd.args[0]} without --no-dev"
    return None


def _pip(cmd: Cmd) -> str | None:
    args = list(cmd.args)
    if cmd.name == "uv":
        if args[:1] == ["sync"]:
            if cmd.has_flag("--no-dev", "--only-group", "--no-default-groups") or cmd.has_flag(
                    "--only-dev"):
                return None
            return "uv sync without --no-dev"
        if args[:2] != ["pip", "install"]:
            return None
        args = args[2:]
    elif args[:1] != ["install"]:
        return None
    for i, arg in enumerate(args):
        value = None
        if arg in ("-r", "--requirement") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(("--requirement=", "-r")) and arg not in ("-r",):
            value = arg.split("=", 1)[1] if "=" in arg else arg[2:]
        if value and _DEV_REQUIREMENTS.search(value.rsplit("/", 1)[-1].rsplit(".", 1)[0]):
            return f"pip installs development requirements {value}"
        if not arg.startswith("-") and _DEV_EXTRAS.search(arg):
            return f"pip installs development extras {arg}"
    return None


def prunes(cmd: Cmd) -> bool:
    """``npm prune --omit=dev``, ``pnpm prune --prod``, ``yarn install --production``."""
    if cmd.name == "npm" and cmd.args[:1] == ("prune",):
        return cmd.has_flag("--production") or "dev" in (cmd.flag_value("--omit") or "")
    if cmd.name == "pnpm" and cmd.args[:1] == ("prune",):
        return cmd.has_flag("--prod", "--production")
    if cmd.name == "yarn" and (not cmd.words() or cmd.words()[0] == "install"):
        return cmd.has_flag("--production", "--prod")
    return False


def _bundle_without(env: Mapping[str, str], text: str) -> bool:
    if env.get("BUNDLE_WITHOUT"):
        return True
    return bool(re.search(r"BUNDLE_WITHOUT=|bundle config (set )?(--\w+ )?without", text))


_NODE = {"npm", "yarn", "pnpm"}
# Flags naming the directory a Node install works in (``--prefix x`` → ``x/node_modules``).
_NODE_DIR = {"npm": ("--prefix",), "yarn": ("--cwd",), "pnpm": ("--dir", "-C")}
_VENV_PIP = re.compile(r"(/[\w./-]+?)/bin/(?:pip3?|python3?)(?:\.\d+)?\s+(?:-m\s+pip\s+)?install")


def project_install(cmd: Cmd) -> str | None:
    """The manager when ``cmd`` installs a project's dependencies into a tree, else None."""
    words = list(cmd.words())
    if cmd.name in _NODE:
        if cmd.has_flag("-g", "--global"):
            return None
        if cmd.name == "yarn" and (not words or words[0] == "install"):
            return "yarn"
        verbs = ("install", "i", "ci") if cmd.name != "pnpm" else ("install", "i")
        return cmd.name if words[:1] and words[0] in verbs and len(words) == 1 else None
    if cmd.name in ("composer", "composer.phar") and words[:1] in (["install"], ["update"]):
        return "composer"
    if cmd.name in ("pip", "pip3") or re.fullmatch(r"pip3?\.\d+", cmd.name):
        return "pip" if words[:1] == ["install"] else None
    if cmd.name == "uv" and (words[:1] == ["sync"] or words[:2] == ["pip", "install"]):
        return "uv"
    if cmd.name == "poetry" and words[:1] == ["install"]:
        return "poetry"
    if cmd.name in ("bundle", "bundler") and words[:1] == ["install"]:
        return "bundle"
    return None


def tree_path(cmd: Cmd, manager: str, cwd: str, env: Mapping[str, str], text: str) -> str:
    """The absolute directory the install ``cmd`` (run in ``cwd``) fills."""
    def at(path: str) -> str:
        return posixpath.normpath(posixpath.join(cwd, path))

    if manager in _NODE:
        folder = cmd.flag_value("--modules-folder")
        if folder:
            return at(folder)
        base = next((v for f in _NODE_DIR[manager] if (v := cmd.flag_value(f))), None)
        return at(posixpath.join(base or ".", "node_modules"))
    if manager == "composer":
        base = cmd.flag_value("--working-dir") or cmd.flag_value("-d") or "."
        return at(env.get("COMPOSER_VENDOR_DIR") or posixpath.join(base, "vendor"))
    if manager == "bundle":
        return at(cmd.flag_value("--path") or env.get("BUNDLE_PATH") or env.get("GEM_HOME")
                  or "/usr/local/bundle")
    return _python_tree(cmd, manager, at, env, text)


def _python_tree(cmd: Cmd, manager: str, at: Callable[[str], str], env: Mapping[str, str],
                 text: str) -> str:
    for flag in ("--target", "-t", "--prefix", "--root"):
        value = cmd.flag_value(flag)
        if value and manager in ("pip", "uv"):
            return at(value)
    if cmd.has_flag("--user"):
        return at(posixpath.join(env.get("HOME") or "/root", ".local"))
    if manager == "uv" and cmd.args[:1] == ("sync",):
        return at(env.get("UV_PROJECT_ENVIRONMENT") or ".venv")
    if manager == "poetry":
        if env.get("POETRY_VIRTUALENVS_CREATE", "").lower() in ("false", "0") or \
                "virtualenvs.create false" in text:
            return "/usr/local"
        return at(env.get("VIRTUAL_ENV") or ".venv")
    if cmd.has_flag("--system"):
        return "/usr/local"
    venv = _VENV_PIP.search(text)
    if venv:
        return at(venv.group(1))
    return at(env.get("VIRTUAL_ENV") or ("/usr/local" if manager == "pip" else ".venv"))
