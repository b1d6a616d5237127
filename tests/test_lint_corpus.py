"""The linter on 73 real-world Dockerfiles (../shared/corpus/dockerfiles/dev, see its index.tsv).

- every file lints without error (no FS001, no exception);
- every file whose ``notes`` say the final stage is NOT minimal gets an error-severity finding
  of the rule(s) that name the noted reason;
- on the other files, every error-severity finding is listed below with the reason it is right
  (or a known limitation), so a new false positive fails this test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from finalstage.settings import Settings as LintConfig
from finalstage.findings import Report, Severity
from finalstage.api.lint import lint as lint_paths

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus" / "dockerfiles" / "dev"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "index.tsv").is_file(),
                       reason="../shared/corpus is absent (third-party test data, not shipped)"),
]

# NOT-minimal files (index.tsv notes) → the rules whose error names the noted reason.
NOT_MINIMAL = {
    # dev-envs last; npm install incl. dev deps; COPY . .
    "docker__awesome-compose__react-express-mongodb__backend__Dockerfile.Dockerfile":
        {"FS117", "FS105", "FS103"},
    # dev-envs last; yarn dev server; COPY . .
    "docker__awesome-compose__vuejs__vuejs__Dockerfile.Dockerfile": {"FS117", "FS105", "FS103"},
    # FROM golang + build-base/git, COPY . into a dev container
    "docker__cli__dockerfiles__Dockerfile.dev.Dockerfile": {"FS101", "FS104", "FS103", "FS117"},
    # SDK image: toolchain + build-essential/make/cmake on ubuntu
    "emscripten-core__emsdk__docker__Dockerfile.Dockerfile": {"FS104"},
    # build-essential, g++, *-dev headers; source tree copied
    "getredash__redash__Dockerfile.Dockerfile": {"FS104", "FS103"},
    # final is FROM golang alpine SDK
    "gohugoio__hugo__Dockerfile.Dockerfile": {"FS101"},
    # pip install -e (editable) in the runtime stage
    "localstack__localstack__Dockerfile.Dockerfile": {"FS118"},
    # COPY . /opt/mastodon (the notes' "full node image" is node:20.6-bookworm-slim here)
    "mastodon__mastodon__Dockerfile.Dockerfile": {"FS103"},
    # tooling stage on the golang SDK base
    "moby__buildkit__hack__dockerfiles__vendor.Dockerfile.Dockerfile": {"FS101"},
    # build-essential, gcc, python3-dev, git in the final python slim stage
    "open-webui__open-webui__Dockerfile.Dockerfile": {"FS104"},
    # COPY . /app of the whole repo
    "saleor__saleor__Dockerfile.Dockerfile": {"FS103"},
}

# Every other error-severity finding on the corpus, reviewed by hand: (file, rule, line) → why.
REVIEWED_ERRORS = {
    ("LemmyNet__lemmy__docker__Dockerfile.Dockerfile", "FS104", 56):
        "runner apt-installs libssl-dev, libpq-dev, git (index notes: dev headers in runtime)",
    ("Squidex__squidex__Dockerfile.Dockerfile", "FS104", 88):
        "final aspnet stage installs libc-dev (headers) 'for protobuf'; libc6 would do",
    ("appwrite__appwrite__Dockerfile.Dockerfile", "FS104", 27):
        "boost-dev installed when DEBUG=true; shell conditionals are not evaluated (limitation)",
    ("appwrite__appwrite__Dockerfile.Dockerfile", "FS117", 118):
        "the default target (last stage) is 'development'; production is an earlier stage",
    ("dgtlmoon__changedetection.io__Dockerfile.Dockerfile", "FS104", 101):
        "libxrender-dev (headers) for OpenCV in the final image; libxrender1 is the runtime lib",
    ("ether__etherpad-lite__Dockerfile.Dockerfile", "FS104", 108):
        "git installed in the production image (used for plugin installs; suppressible)",
    ("fluent__fluent-bit__dockerfiles__Dockerfile.Dockerfile", "FS117", 217):
        "last stage is the 'debug' target (index notes); production distroless is earlier",
    ("fluent__fluent-bit__dockerfiles__Dockerfile.Dockerfile", "FS104", 249):
        "debug target installs build-essential, gdb, valgrind, git, strace",
    ("go-gitea__gitea__Dockerfile.Dockerfile", "FS104", 54):
        "git in the final image: a Git server needs it at run time (true need; suppress)",
    ("klutchell__unbound-docker__Dockerfile.Dockerfile", "FS112", 180):
        "root.key is unbound's DNSSEC trust anchor, a public key: *.key false positive",
}


@pytest.fixture(scope="module")
def corpus_report() -> Report:
    files = sorted(CORPUS.glob("*.Dockerfile"))
    assert len(files) == 73
    return lint_paths(files, settings=LintConfig())


def _errors(report: Report) -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = {}
    for f in report.findings:
        if f.severity is Severity.ERROR and f.location is not None:
            out.setdefault(Path(f.location.file).name, set()).add((f.rule, f.location.line))
    return out


def test_every_file_lints(corpus_report: Report) -> None:
    assert not [f for f in corpus_report.findings if f.rule == "FS001"]
    assert len(corpus_report.targets) == 73


def test_not_minimal_files_have_the_noted_reason(corpus_report: Report) -> None:
    with (CORPUS / "index.tsv").open(encoding="utf-8") as handle:
        noted = {r["file"] for r in csv.DictReader(handle, delimiter="\t")
                 if "NOT minimal" in r["notes"]}
    assert noted == set(NOT_MINIMAL)
    errors = _errors(corpus_report)
    for name, rules in NOT_MINIMAL.items():
        hit = {rule for rule, _ in errors.get(name, set())}
        assert rules <= hit, f"{name}: expected {sorted(rules)}, got {sorted(hit)}"


def test_other_error_findings_are_reviewed(corpus_report: Report) -> None:
    errors = _errors(corpus_report)
    seen = {(name, rule, line) for name, hits in errors.items() if name not in NOT_MINIMAL
            for rule, line in hits}
    assert seen == set(REVIEWED_ERRORS)


def test_builder_only_files_stay_clean_of_errors(corpus_report: Report) -> None:
    # The seed pattern (SDK builder, minimal final stage) must not draw errors from builder facts.
    errors = _errors(corpus_report)
    for name in ("GoogleContainerTools__distroless__examples__rust__Dockerfile.Dockerfile",
                 "astral-sh__uv__Dockerfile.Dockerfile",
                 "cloudflare__cloudflared__Dockerfile.Dockerfile"):
        assert name not in errors
