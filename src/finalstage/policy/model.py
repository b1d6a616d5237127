"""The policy of ``finalstage check``: frozen values, no I/O (``load.py`` reads the TOML).

A policy is a list of clauses; each set clause becomes one pass/fail check (one JUnit testcase).
Unset clauses (None / empty) are not checked at all, so the empty ``Policy()`` always passes.
Sizes are ``int`` bytes; formatting happens in reporters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from finalstage.findings import Severity


@dataclass(frozen=True)
class WasteLimit:
    """``max-waste``: an absolute byte count, or a percentage of the uncompressed image size."""

    bytes: int | None = None
    percent: float | None = None

    def limit_for(self, image_size: int) -> int:
        """The waste allowed, in bytes, for an image of ``image_size`` uncompressed bytes."""
        if self.bytes is not None:
            return self.bytes
        return int(image_size * (self.percent or 0.0) / 100.0)

    def describe(self) -> str:
        """The limit as written: ``5%`` or ``1000 bytes``."""
        return f"{self.percent:g}%" if self.percent is not None else f"{self.bytes} bytes"


@dataclass(frozen=True)
class ClauseInfo:
    """A policy clause as a rule: the code and name its findings carry, and what it checks."""

    code: str
    name: str
    key: str          # the policy key that sets it
    title: str


# Policy clauses are rules of their own (family FS9xx: "policy"), so a finding from a clause can
# be selected, suppressed, overridden in severity and listed in SARIF like any lint rule.
CLAUSES: tuple[ClauseInfo, ...] = (
    ClauseInfo("FS901", "max-size", "max-size",
               "The uncompressed image is larger than the policy allows"),
    ClauseInfo("FS902", "max-compressed-size", "max-size.compressed",
               "The compressed image (sum of layer blobs) is larger than the policy allows"),
    ClauseInfo("FS903", "max-layers", "max-layers",
               "The image has more layers than the policy allows"),
    ClauseInfo("FS904", "max-waste", "max-waste",
               "Bytes hidden by later layers exceed the policy's waste budget"),
    ClauseInfo("FS905", "forbidden-category", "forbidden-categories",
               "The image ships content of a category the policy forbids"),
    ClauseInfo("FS906", "forbidden-path", "forbidden-paths",
               "The image ships a path matching a forbidden glob"),
    ClauseInfo("FS907", "forbidden-package", "forbidden-packages",
               "The image ships a package the policy forbids"),
    ClauseInfo("FS908", "root-user", "require-non-root",
               "The image runs as root but the policy requires a non-root user"),
    ClauseInfo("FS909", "shell-form-entrypoint", "require-exec-form",
               "The entrypoint or command is in shell form but the policy requires exec form"),
    ClauseInfo("FS910", "base-image-not-allowed", "allowed-base-images",
               "The final stage's base image is not in the policy's allowed list"),
    ClauseInfo("FS911", "structure-test-failed", "cst",
               "A container-structure-test check failed"),
)
CLAUSE_BY_CODE: Mapping[str, ClauseInfo] = MappingProxyType({c.code: c for c in CLAUSES})
CLAUSE_BY_KEY: Mapping[str, ClauseInfo] = MappingProxyType({c.key: c for c in CLAUSES})


@dataclass(frozen=True)
class Policy:
    """Every clause of a policy file. ``source`` is where it was read from (for messages)."""

    max_size: int | None = None                    # uncompressed bytes
    max_compressed_size: int | None = None         # sum of the layer blobs as stored
    max_layers: int | None = None
    max_waste: WasteLimit | None = None
    forbidden_categories: tuple[str, ...] = ()
    forbidden_paths: tuple[str, ...] = ()          # globs on absolute paths, ** crosses "/"
    forbidden_packages: tuple[str, ...] = ()       # globs on package names, "gcc*", "npm:left-pad"
    require_non_root: bool = False
    require_exec_form: bool = False
    allowed_base_images: tuple[str, ...] = ()      # globs on the final chain's FROM reference
    severities: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    fail_on: Severity | None = None
    source: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when no clause is set (``check`` then only runs rules and structure tests)."""
        return (
            self.max_size is None and self.max_compressed_size is None
            and self.max_layers is None and self.max_waste is None
            and not self.forbidden_categories and not self.forbidden_paths
            and not self.forbidden_packages and not self.require_non_root
            and not self.require_exec_form and not self.allowed_base_images
        )

    def severity_for(self, code: str, name: str, default: Severity) -> Severity:
        """The severity a finding of rule ``code``/``name`` gets under this policy."""
        if code in self.severities:
            return self.severities[code]
        return self.severities.get(name, default)


__all__ = ["CLAUSES", "CLAUSE_BY_CODE", "CLAUSE_BY_KEY", "ClauseInfo", "Policy", "WasteLimit"]
