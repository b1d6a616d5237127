"""The rule registry: every check finalstage makes, listed by hand in one readable table (ruff
``codes.rs``) — Dockerfile rules, image rules and the policy's budgets alike.

``ALL_RULES`` is explicit (no import magic); ``get`` finds one rule by code, name or retired
alias; ``select`` applies ``--select``/``--ignore`` (codes, prefixes, names, groups).
"""

from __future__ import annotations

from collections.abc import Iterable

from finalstage.rules import _registry
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import (
    DockerfileRule,
    ImageRule,
    InstructionRule,
    MetaRule,
    Needs,
    Rule,
    Status,
)
from finalstage.rules._options import Option
from finalstage.rules._registry import REDIRECTS
from finalstage.rules.dockerfile.add_from_url import AddFromUrl
from finalstage.rules.dockerfile.build_tools_installed import BuildToolsInstalled
from finalstage.rules.dockerfile.copy_entire_context import CopyEntireContext
from finalstage.rules.dockerfile.copy_whole_builder import CopyWholeBuilder
from finalstage.rules.dockerfile.curl_pipe_shell import CurlPipeShell
from finalstage.rules.dockerfile.dev_dependencies_installed import DevDependenciesInstalled
from finalstage.rules.dockerfile.development_final_stage import DevelopmentFinalStage
from finalstage.rules.dockerfile.editable_install import EditableInstall
from finalstage.rules.dockerfile.missing_no_install_recommends import MissingNoInstallRecommends
from finalstage.rules.dockerfile.no_runtime_stage import NoRuntimeStage
from finalstage.rules.dockerfile.package_cache_left import PackageCacheLeft
from finalstage.rules.dockerfile.sdk_base_image import SdkBaseImage
from finalstage.rules.dockerfile.secret_file_copied import SecretFileCopied
from finalstage.rules.dockerfile.secret_in_build_arg_or_env import SecretInBuildArgOrEnv
from finalstage.rules.dockerfile.test_code_copied import TestCodeCopied
from finalstage.rules.dockerfile.unpinned_base_image import UnpinnedBaseImage
from finalstage.rules.image.build_tool_in_final_image import BuildToolInFinalImage
from finalstage.rules.image.cache_in_final_image import CacheInFinalImage
from finalstage.rules.image.compiler_in_final_image import CompilerInFinalImage
from finalstage.rules.image.dev_dependency_in_final_image import DevDependencyInFinalImage
from finalstage.rules.image.docs_over_threshold import DocsOverThreshold
from finalstage.rules.image.package_manager_in_final_image import PackageManagerInFinalImage
from finalstage.rules.image.secret_in_final_image import SecretInFinalImage
from finalstage.rules.image.setuid_file import SetuidFile
from finalstage.rules.image.source_in_final_image import SourceInFinalImage
from finalstage.rules.image.tests_in_final_image import TestsInFinalImage
from finalstage.rules.image.unstripped_binary import UnstrippedBinary
from finalstage.rules.image.waste_over_threshold import WasteOverThreshold
from finalstage.rules.meta.invalid_suppression import InvalidSuppression
from finalstage.rules.meta.unparsable_dockerfile import UnparsableDockerfile
from finalstage.rules.meta.unused_suppression import UnusedSuppression
from finalstage.rules.policy.base_image_not_allowed import BaseImageNotAllowed
from finalstage.rules.policy.compressed_size_over_budget import CompressedSizeOverBudget
from finalstage.rules.policy.forbidden_category import ForbiddenCategory
from finalstage.rules.policy.forbidden_package import ForbiddenPackage
from finalstage.rules.policy.forbidden_path import ForbiddenPath
from finalstage.rules.policy.size_over_budget import SizeOverBudget
from finalstage.rules.policy.structure_test_failed import StructureTestFailed
from finalstage.rules.policy.too_many_layers import TooManyLayers
from finalstage.rules.runtime.root_user import RootUser
from finalstage.rules.runtime.shell_form_entrypoint import ShellFormEntrypoint

ALL_RULES: tuple[type[Rule], ...] = (
    # FS0xx meta
    UnparsableDockerfile,          # FS001
    UnusedSuppression,             # FS002
    InvalidSuppression,            # FS003
    # FS1xx Dockerfile final stage
    SdkBaseImage,                  # FS101
    UnpinnedBaseImage,             # FS102
    CopyEntireContext,             # FS103
    BuildToolsInstalled,           # FS104
    DevDependenciesInstalled,      # FS105
    TestCodeCopied,                # FS106
    PackageCacheLeft,              # FS107
    MissingNoInstallRecommends,    # FS108
    SecretInBuildArgOrEnv,         # FS111
    SecretFileCopied,              # FS112
    NoRuntimeStage,                # FS113
    CopyWholeBuilder,              # FS114
    AddFromUrl,                    # FS115
    CurlPipeShell,                 # FS116
    DevelopmentFinalStage,         # FS117
    EditableInstall,               # FS118
    # FS2xx image content (ImageRule: run on an analysed image, never by lint)
    CompilerInFinalImage,          # FS201
    BuildToolInFinalImage,         # FS202
    PackageManagerInFinalImage,    # FS203
    SourceInFinalImage,            # FS204
    TestsInFinalImage,             # FS205
    DevDependencyInFinalImage,     # FS206
    CacheInFinalImage,             # FS207
    SecretInFinalImage,            # FS208
    SetuidFile,                    # FS209
    # FS3xx size and waste
    WasteOverThreshold,            # FS301 (also FS904)
    DocsOverThreshold,             # FS302
    UnstrippedBinary,              # FS303
    # FS4xx runtime config (from the image config, else the Dockerfile)
    RootUser,                      # FS401 (was FS109, FS908)
    ShellFormEntrypoint,           # FS402 (was FS110, FS909)
    # FS9xx policy budgets and bans (run when a policy key or rule option sets them)
    SizeOverBudget,                # FS901
    CompressedSizeOverBudget,      # FS902
    TooManyLayers,                 # FS903
    ForbiddenCategory,             # FS905
    ForbiddenPath,                 # FS906
    ForbiddenPackage,              # FS907
    BaseImageNotAllowed,           # FS910
    StructureTestFailed,           # FS911
)
REDIRECTS.update({alias: rule.code for rule in ALL_RULES for alias in rule.aliases})


IMAGE_RULES: tuple[type[ImageRule], ...] = tuple(
    r for r in ALL_RULES if issubclass(r, ImageRule))


def get(code_or_name: str) -> type[Rule]:
    """The rule with this code (``FS101``) or name (``sdk-base-image``); UsageError if none."""
    return _registry.get(code_or_name, ALL_RULES)


def select(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> tuple[type[Rule], ...]:
    """Rules chosen by ``select`` (default all) minus ``ignore``; priority code > name > group."""
    return _registry.select(ALL_RULES, select, ignore)


__all__ = [
    "ALL_RULES",
    "IMAGE_RULES",
    "REDIRECTS",
    "DockerfileContext",
    "DockerfileRule",
    "ImageRule",
    "InstructionRule",
    "MetaRule",
    "Needs",
    "Option",
    "Rule",
    "Status",
    "get",
    "select",
]
