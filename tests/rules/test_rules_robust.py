"""Rules never crash: any Dockerfile the parser accepts lints to findings, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finalstage.errors import DockerfileError
from finalstage.findings import Finding
from finalstage.api.lint import lint_text

_WORDS = st.sampled_from([
    "apt-get", "install", "-y", "--no-install-recommends", "gcc", "libpq-dev", "apk", "add",
    "--no-cache", "--virtual", ".deps", "del", "npm", "ci", "--omit=dev", "yarn", "pip", "-r",
    "requirements-dev.txt", "-e", ".", "poetry", "uv", "sync", "curl", "|", "sh", "&&", "||",
    ";", "(", ")", "'", '"', "$FOO", "${BAR:-x}", "rm", "-rf", "/var/lib/apt/lists/*", "\\",
    "if", "then", "fi", "sudo", "env", "X=1", "go", "build", "make", "bundle", "composer",
    "NODE_ENV=production", "#", "<<EOF", "-", "--", "=", "*", "/", "..", "é", "\t",
])
_TEXT = st.lists(_WORDS, min_size=0, max_size=12).map(" ".join)
_IMAGES = st.sampled_from(["golang:1.22", "alpine", "python:3.12", "scratch", "s0", "s1",
                           "${BASE}", "node:latest@sha256:abc", "mcr.microsoft.com/dotnet/sdk",
                           "localhost:5000/x", "0", "UPPER:Case"])
_PATHS = st.sampled_from([".", "./", "*", "/", "tests/", ".env", "id_rsa", "a b", "app",
                          "https://example.com/x", "/app", "--from=s0", "spec/x_spec.rb"])


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines.append(f"ARG BASE={draw(_IMAGES)}")
    for index in range(draw(st.integers(1, 4))):
        lines.append(f"FROM {draw(_IMAGES)} AS s{index}")
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["RUN", "COPY", "ADD", "ENV", "ARG", "USER", "CMD",
                                         "ENTRYPOINT", "WORKDIR", "PRAGMA"]))
            if kind == "RUN":
                lines.append(f"RUN {draw(_TEXT)} true")
            elif kind in ("COPY", "ADD"):
                flag = draw(st.sampled_from(["", "--from=s0 ", "--chown=1:1 ", "--from=img "]))
                lines.append(f"{kind} {flag}{draw(_PATHS)} {draw(_PATHS)} /dst/")
            elif kind in ("ENV", "ARG"):
                name = draw(st.sampled_from(["TOKEN", "API_KEY", "A", "PASSWORD_FILE", "X"]))
                lines.append(f"{kind} {name}={draw(st.sampled_from(['x', 'ghp_' + 'a' * 36, '']))}")
            elif kind == "USER":
                lines.append(f"USER {draw(st.sampled_from(['root', '0:0', 'app', '${U}']))}")
            elif kind in ("CMD", "ENTRYPOINT"):
                lines.append(draw(st.sampled_from([f'{kind} ["a", "b"]', f"{kind} a b",
                                                   f"{kind} []"])))
            elif kind == "WORKDIR":
                lines.append(f"WORKDIR {draw(_PATHS)}")
            else:
                lines.append(draw(st.sampled_from([
                    "# finalstage: ignore=FS104", "# finalstage: stage ignore=FS1",
                    "# finalstage: global ignore=sdk-base-image", "# finalstage: ignore",
                    "# finalstage: ignore=FS999,", "# finalstage:"])))
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=dockerfiles(), target=st.sampled_from([None, "s0"]))
def test_lint_never_crashes(text: str, target: str | None) -> None:
    try:
        findings = lint_text(text, target=target, build_args={"U": "0"})
    except DockerfileError:
        return  # the parser rejected it: a clean, user-facing error
    for finding in findings:
        assert isinstance(finding, Finding)
        assert finding.message and not finding.message.endswith(".")
        assert "\n" not in finding.message
        assert "ghp_aaaa" not in (finding.source_line or "") + finding.message
