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

Modules, lowest first: ``model`` (config, test, result and the protocols they run on),
``patterns`` (regexes), ``load`` (YAML → validated ``CstConfig``), ``fsview`` (symlinks,
permissions and ``$VAR`` on a ``FileSystemView``), ``checks`` (the tests that only read the
image, and the files they read), ``run`` (``run_cst``), ``podman`` (the command-test runner) and
``tree`` (finalstage's merged tree as a ``FileSystemView``).
"""

from __future__ import annotations

from finalstage.cst.checks import needed_files
from finalstage.cst.fsview import go_filemode, resolve, substitute_env
from finalstage.cst.load import load_cst, parse_cst
from finalstage.cst.model import (
    CommandRunner,
    CstConfig,
    CstResult,
    CstTest,
    FileStat,
    FileSystemView,
    ImageMetadata,
)
from finalstage.cst.podman import podman_image_ref, podman_runner
from finalstage.cst.run import run_cst
from finalstage.cst.tree import TreeView

__all__ = ["CommandRunner", "CstConfig", "CstResult", "CstTest", "FileStat", "FileSystemView",
           "ImageMetadata", "TreeView", "go_filemode", "load_cst", "needed_files", "parse_cst",
           "podman_image_ref", "podman_runner", "resolve", "run_cst", "substitute_env"]
