"""Policy evaluation on hand-built facts: each clause passes, fails, or is skipped, and failed
content clauses name the layer and, through the attribution, the Dockerfile line."""

from __future__ import annotations

import pytest

from finalstage.attribution import attribute
from finalstage.dockerfile import parse_text
from finalstage.findings import Severity
from finalstage.policy.evaluate import (
    FileFact,
    ImageFacts,
    PackageFact,
    WasteFact,
    evaluate,
    is_root_user,
    is_shell_form,
    package_matches,
    path_matches,
)
from finalstage.policy.model import Policy, WasteLimit

DOCKERFILE = """\
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app .
FROM debian:12
RUN apt-get update && apt-get install -y gcc
COPY --from=build /out/app /app
ENTRYPOINT /app --serve
"""
HISTORY = [
    {"created_by": "# debian.sh --arch 'amd64' out/ 'bookworm' '@1700000000'"},
    {"created_by": 'CMD ["bash"]', "empty_layer": True},
    {"created_by": "RUN /bin/sh -c apt-get update && apt-get install -y gcc # buildkit"},
    {"created_by": "COPY /out/app /app # buildkit"},
    {"created_by": "ENTRYPOINT [\"/bin/sh\" \"-c\" \"/app --serve\"]", "empty_layer": True},
]
FACTS = ImageFacts(
    reference="fat:latest",
    size=400_000_000,
    compressed_size=150_000_000,
    layer_sizes=(120_000_000, 270_000_000, 10_000_000),
    files=(
        FileFact("/usr/bin/gcc-12", 1_000_000, 1, "compiler"),
        FileFact("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 30_000_000, 1, "compiler"),
        FileFact("/var/lib/apt/lists/mirror.example_dists", 20_000_000, 1, "cache"),
        FileFact("/usr/bin/ld", 2_000_000, 0, "compiler"),
        FileFact("/app", 10_000_000, 2, None),
        FileFact("/etc/ssl/private/key.pem", 2_000, 2, "secret"),
    ),
    waste=(WasteFact("/var/cache/apt/archives/gcc.deb", 30_000_000, 1),
           WasteFact("/tmp/x", 5, 2)),
    packages=(PackageFact("gcc-12", "12.2.0", "deb", 1, ("/usr/bin/gcc-12",)),
              PackageFact("typescript", "5.4.0", "npm", 2)),
    user=None,
    entrypoint=("/bin/sh", "-c", "/app --serve"),
    cmd=None,
)


@pytest.fixture(scope="module")
def context() -> tuple:
    dockerfile = parse_text(DOCKERFILE, path="Dockerfile")
    return dockerfile, attribute(HISTORY, 3, dockerfile)


def by_code(findings: tuple) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_empty_policy_checks_nothing() -> None:
    result = evaluate(Policy(), FACTS)
    assert result.findings == () and result.clauses == () and result.is_passed


def test_every_clause_fails_on_the_fat_image(context: tuple) -> None:
    dockerfile, attribution = context
    policy = Policy(
        max_size=80_000_000, max_compressed_size=30_000_000, max_layers=2,
        max_waste=WasteLimit(percent=5), forbidden_categories=("compiler", "cache"),
        forbidden_paths=("/**/*.pem",), forbidden_packages=("gcc*",),
        require_non_root=True, require_exec_form=True,
        allowed_base_images=("gcr.io/distroless/*",))
    result = evaluate(policy, FACTS, attribution, dockerfile)
    assert [c.status for c in result.clauses] == ["fail"] * 10
    assert not result.is_passed
    found = by_code(result.findings)

    (size,) = found["FS901"]
    assert size.bytes == 400_000_000
    assert "400 MB uncompressed, over the 80 MB budget by 320 MB" in size.message
    assert size.layer == 1 and size.location.line == 6  # the heaviest layer the Dockerfile made
    assert "150 MB compressed" in found["FS902"][0].message
    assert found["FS903"][0].message == "image has 3 layers, more than the 2 allowed"

    (waste,) = found["FS904"]
    assert waste.bytes == 30_000_005 and waste.layer == 1
    assert waste.paths == ("/var/cache/apt/archives/gcc.deb",)
    assert waste.location.line == 6

    # compilers: one finding per layer, each at its own line (base layer → FROM debian:12)
    compilers = [f for f in found["FS905"] if "compiler" in f.message]
    assert [(f.layer, f.location.line) for f in compilers] == [(0, 5), (1, 6)]
    assert compilers[1].bytes == 31_000_000
    assert compilers[1].paths == ("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/usr/bin/gcc-12")
    assert compilers[1].created_by.startswith("RUN /bin/sh -c apt-get update")
    assert compilers[1].source_line == "RUN apt-get update && apt-get install -y gcc"
    assert compilers[1].location.file == "Dockerfile"
    cache = [f for f in found["FS905"] if "cache" in f.message]
    assert [(f.layer, f.location.line) for f in cache] == [(1, 6)]

    (pem,) = found["FS906"]
    assert pem.paths == ("/etc/ssl/private/key.pem",) and pem.location.line == 7

    (gcc,) = found["FS907"]
    assert "deb:gcc-12 12.2.0" in gcc.message and gcc.location.line == 6

    (root,) = found["FS908"]
    assert root.message == "the image runs as root (no USER set)"
    assert root.location.line == 5  # no USER: the final stage's FROM

    (shell,) = found["FS909"]
    assert shell.location.line == 8 and "ENTRYPOINT runs through a shell" in shell.message

    (base,) = found["FS910"]
    assert "'debian:12' is not allowed" in base.message and base.location.line == 5
    assert all(f.severity == Severity.ERROR for f in result.findings)
    assert {r.code for r in result.rules} == {f"FS9{n:02d}" for n in range(1, 11)}


def test_every_clause_passes_on_a_minimal_image() -> None:
    facts = ImageFacts(reference="slim", size=5_000_000, compressed_size=2_000_000,
                       layer_sizes=(5_000_000,), files=(FileFact("/app", 5_000_000, 0),),
                       user="65532", entrypoint=("/app",), base_image="gcr.io/distroless/static")
    policy = Policy(max_size=80_000_000, max_compressed_size=30_000_000, max_layers=2,
                    max_waste=WasteLimit(bytes=0), forbidden_categories=("compiler",),
                    forbidden_paths=("/root",), forbidden_packages=("gcc*",),
                    require_non_root=True, require_exec_form=True,
                    allowed_base_images=("gcr.io/distroless/*",))
    result = evaluate(policy, facts)
    assert result.findings == ()
    assert [c.status for c in result.clauses] == ["pass"] * 10
    assert result.is_passed


def test_without_dockerfile_findings_have_no_location() -> None:
    result = evaluate(Policy(forbidden_categories=("compiler",)), FACTS)
    assert result.findings and all(f.location is None for f in result.findings)
    assert {f.layer for f in result.findings} == {0, 1}


def test_skips_when_facts_are_missing() -> None:
    facts = ImageFacts(reference="x", size=1, compressed_size=None)
    result = evaluate(Policy(max_compressed_size=1, allowed_base_images=("alpine*",)), facts)
    assert [c.status for c in result.clauses] == ["skip", "skip"]
    assert "compressed size" in result.clauses[0].detail
    assert result.is_passed


def test_severity_override() -> None:
    policy = Policy(max_layers=1, severities={"max-layers": Severity.WARNING})
    result = evaluate(policy, FACTS)
    assert result.findings[0].severity == Severity.WARNING
    assert result.rules[0].severity == Severity.WARNING


def test_waste_within_budget_passes() -> None:
    result = evaluate(Policy(max_waste=WasteLimit(percent=10)), FACTS)  # 10% of 400 MB = 40 MB
    assert result.clauses[0].status == "pass"
    assert "30 MB wasted, budget 40 MB (10%)" == result.clauses[0].detail


@pytest.mark.parametrize(("glob", "path", "hit"), [
    ("/root/.cache", "/root/.cache/pip/x.whl", True),
    ("/root/.cache", "/root/.cachex", False),
    ("/**/*.pem", "/etc/ssl/private/key.pem", True),
    ("/**/*.pem", "/key.pem", False),  # `/**/` needs a directory in between
    ("**/*.pem", "/key.pem", True),
    ("/usr/*/gcc", "/usr/bin/gcc", True),
    ("/usr/*/gcc", "/usr/local/bin/gcc", False),
    ("/usr/lib/gcc*", "/usr/lib/gcc-cross/x", True),
    ("/etc/[ab]*", "/etc/apt", True),
    ("/etc/[!ab]*", "/etc/apt", False),
    ("/src/", "/src/main.go", True),
])
def test_path_globs(glob: str, path: str, hit: bool) -> None:
    assert path_matches(glob, path) is hit


def test_package_patterns() -> None:
    ts = PackageFact("typescript", "5", "npm")
    assert package_matches("typescript", ts)
    assert package_matches("npm:type*", ts)
    assert not package_matches("deb:typescript", ts)
    assert not package_matches("types", ts)


@pytest.mark.parametrize(("user", "root"), [
    (None, True), ("", True), ("root", True), ("0", True), ("0:0", True), ("root:staff", True),
    ("1000", False), ("app", False), ("65532:65532", False), ("nonroot", False),
])
def test_root_users(user: str | None, root: bool) -> None:
    assert is_root_user(user) is root


def test_shell_form() -> None:
    assert is_shell_form(("/bin/sh", "-c", "x"))
    assert not is_shell_form(("/app",))
    assert not is_shell_form(None)


def test_cmd_shell_form_when_no_entrypoint() -> None:
    facts = ImageFacts(reference="x", size=1, cmd=("/bin/sh", "-c", "python app.py"))
    result = evaluate(Policy(require_exec_form=True), facts)
    assert "CMD runs through a shell" in result.findings[0].message


def test_created_by_and_entrypoint_are_redacted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dockerfile = parse_text("FROM scratch\nRUN curl -u deploy:hunter2 https://x/y -o /a\n"
                            'ENTRYPOINT /a --password=hunter2\n', path="Dockerfile")
    history = [{"created_by": "RUN /bin/sh -c curl -u deploy:hunter2 https://x/y -o /a "
                              "# buildkit"}]
    facts = ImageFacts(reference="x", size=10, layer_sizes=(10,),
                       files=(FileFact("/a", 10, 0, "compiler"),),
                       entrypoint=("/bin/sh", "-c", "/a --password=hunter2"))
    result = evaluate(Policy(forbidden_categories=("compiler",), require_exec_form=True), facts,
                      attribute(history, 1, dockerfile), dockerfile)
    assert "hunter2" not in repr(result.findings)
    assert result.findings[0].created_by is not None
    assert "****" in result.findings[0].created_by
