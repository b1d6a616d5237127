"""The one engine on a real (hand-made) image archive and its Dockerfile: every policy key is a
rule, every finding about one fact is one finding, and each is tied to the line that made it.

The archive is built by tests/data/make_layers.py and read through the real archive reader,
tree merge, analysis and attribution; the Dockerfile's history matches it as buildkit writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from make_layers import F, config, docker_archive, layer, sha

from finalstage.api.check import check
from finalstage.findings import Finding, Severity
from finalstage.rules.policy.forbidden_path import path_matches
from finalstage.settings import from_table

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
    {"created_by": 'ENTRYPOINT ["/bin/sh" "-c" "/app --serve"]', "empty_layer": True},
]
KEY = b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + b"A" * 200 + b"\n-----END RSA PRIVATE KEY-----\n"
DPKG_STATUS = (b"Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\n"
               b"Version: 12.2.0-14\nInstalled-Size: 4000\n\n")
GCC_FILES = b"/usr/bin/gcc-12\n/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n"
KB = 1000


def fat_layers() -> list[bytes]:
    base = [F("etc/", kind="d"), F("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
            F("usr/", kind="d"), F("usr/bin/", kind="d"),
            F("usr/bin/ld", b"\x7fELF" + b"\0" * (200 * KB), mode=0o755)]
    gcc = [F("usr/bin/gcc-12", b"\x7fELF" + b"\0" * (100 * KB), mode=0o755),
           F("usr/lib/gcc/x86_64-linux-gnu/12/cc1", b"\x7fELF" + b"\0" * (300 * KB), mode=0o755),
           F("var/lib/apt/lists/deb.example_dists_bookworm_main", b"P" * (200 * KB)),
           F("var/cache/apt/archives/gcc.deb", b"!" * (300 * KB)),
           F("var/lib/dpkg/status", DPKG_STATUS),
           F("var/lib/dpkg/info/gcc-12.list", GCC_FILES)]
    app = [F("app", b"\x7fELF" + b"\0" * (100 * KB), mode=0o755),
           F("etc/ssl/private/key.pem", KEY),
           F("var/cache/apt/archives/.wh.gcc.deb")]
    return [layer(base), layer(gcc), layer(app)]


def archive(tmp_path: Path, *, user: str = "", entrypoint: list[str] | None = None,
            history: list[dict] | None = None) -> str:
    tars = fat_layers()
    cfg = json.loads(config([sha(t) for t in tars]))
    cfg["history"] = history if history is not None else HISTORY
    cfg["config"] = {"User": user, "Entrypoint": entrypoint or ["/bin/sh", "-c", "/app --serve"]}
    path = docker_archive(str(tmp_path / "fat.tar"), tars, cfg=json.dumps(cfg).encode())
    return f"docker-archive:{path}"


def dockerfile(tmp_path: Path) -> str:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE)
    return str(path)


STRICT = {
    "max-size": {"uncompressed": "500kB", "compressed": "500kB"}, "max-layers": 2,
    "max-waste": "5%", "forbidden-categories": ["compiler", "cache", "headers"],
    "forbidden-paths": ["/**/*.pem"], "forbidden-packages": ["gcc*"],
    "require-non-root": True, "require-exec-form": True,
    "allowed-base-images": ["gcr.io/distroless/*"],
}


def by_rule(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.rule, []).append(finding)
    return out


def test_every_policy_key_fails_on_the_fat_image_once_per_fact(tmp_path: Path) -> None:
    report = check(archive(tmp_path), dockerfile=dockerfile(tmp_path),
                   policy=from_table({"policy": STRICT}, "strict.toml"))
    found = by_rule(report.findings)
    verdicts = {v.key: v.status for v in report.detail.verdicts}
    assert verdicts == {key: "fail" for key in STRICT}
    # the size budget points at the heaviest layer and through it at its line
    (size,) = found["FS901"]
    assert size.layer == 1 and size.location.line == 6
    assert "over the 500 kB budget" in size.message
    assert found["FS903"][0].message == "image has 3 layers (5 history entries), more than the 2 layers allowed"
    # waste: the layer that added the hidden bytes
    (waste,) = found["FS301"]
    assert waste.severity is Severity.ERROR and waste.layer == 1 and waste.location.line == 6
    assert waste.paths[0] == "/var/cache/apt/archives/gcc.deb"
    # gcc: the Dockerfile's apt-get install, the compiler files in layer 1 and the forbidden
    # package are one fact — one finding at line 6 with both locations, three codes
    (gcc,) = [f for f in report.findings
              if f.location and f.location.line == 6 and "FS201" in (f.rule, *f.also)]
    assert gcc.rule == "FS104" and set(gcc.also) >= {"FS201", "FS907"}
    assert gcc.severity is Severity.ERROR and gcc.layer == 1 and gcc.bytes >= 400 * KB
    assert "FS907" not in found
    # the base layer's compiler (ld) is the FROM line's: FS201 there, not folded into line 6
    (base_compiler,) = found["FS201"]
    assert base_compiler.layer == 0 and base_compiler.location.line == 5
    # the cache: FS107 (the Dockerfile) and FS207 (the image) on line 6 are one finding
    (cache,) = found["FS107"]
    assert "FS207" in cache.also and cache.bytes is not None
    (pem,) = found["FS906"]
    assert pem.paths == ("/etc/ssl/private/key.pem",) and pem.location.line == 7
    (root,) = found["FS401"]
    assert root.location.line == 5 and root.severity is Severity.ERROR
    assert root.message == "the final image sets no USER, so it runs as root"
    (shell,) = found["FS402"]
    assert shell.location.line == 8 and "ENTRYPOINT runs through a shell" in shell.message
    (base,) = found["FS910"]
    assert "'debian:12' is not allowed" in base.message and base.location.line == 5
    assert report.exit_code == 1


def test_retired_codes_never_appear(tmp_path: Path) -> None:
    report = check(archive(tmp_path), dockerfile=dockerfile(tmp_path),
                   policy=from_table({"policy": STRICT}, "strict.toml"))
    codes = {f.rule for f in report.findings} | {c for f in report.findings for c in f.also}
    assert not codes & {"FS109", "FS110", "FS904", "FS908", "FS909"}


def test_every_key_passes_on_a_minimal_image(tmp_path: Path) -> None:
    tars = [layer([F("app", b"\x7fELF" + b"\0" * 100, mode=0o755)])]
    cfg = json.loads(config([sha(t) for t in tars], history=["COPY app /app # buildkit"]))
    cfg["config"] = {"User": "65532", "Entrypoint": ["/app"],
                     "Labels": {"org.opencontainers.image.base.name":
                                "gcr.io/distroless/static"}}
    ref = docker_archive(str(tmp_path / "slim.tar"), tars, cfg=json.dumps(cfg).encode())
    report = check(f"docker-archive:{ref}", policy=from_table({"policy": STRICT}, "s.toml"))
    assert report.findings == ()
    assert {v.key: v.status for v in report.detail.verdicts} == {k: "pass" for k in STRICT}
    assert report.exit_code == 0


def test_without_dockerfile_findings_carry_layers_not_lines(tmp_path: Path) -> None:
    report = check(archive(tmp_path), policy=from_table(
        {"policy": {"forbidden-categories": ["compiler"]}}, "p.toml"))
    compiler = [f for f in report.findings if f.rule == "FS201"]
    assert compiler and all(f.location is None and f.layer is not None for f in compiler)


def test_empty_settings_skip_every_budget_and_say_why(tmp_path: Path) -> None:
    report = check(archive(tmp_path), policy=from_table({}, "empty.toml"))
    skipped = {o.code: o.detail for o in report.outcomes if o.status == "skip"}
    assert skipped["FS901"] == "not configured (set max-bytes)"
    assert skipped["FS911"] == "not configured (pass --cst FILE)"
    assert skipped["FS101"] == "needs a Dockerfile"
    assert report.detail.verdicts == ()


def test_severity_table_and_aliases(tmp_path: Path) -> None:
    table = {"policy": {"max-layers": 1, "require-non-root": True,
                        "severity": {"max-layers": "warning", "FS908": "info"}}}
    report = check(archive(tmp_path), policy=from_table(table, "p.toml"))
    found = by_rule(report.findings)
    assert found["FS903"][0].severity is Severity.WARNING
    assert found["FS401"][0].severity is Severity.INFO  # FS908 is root-user's retired code


def test_waste_within_budget_passes(tmp_path: Path) -> None:
    report = check(archive(tmp_path), policy=from_table(
        {"policy": {"max-waste": "50%"}}, "p.toml"))
    (verdict,) = report.detail.verdicts
    assert verdict.status == "pass" and "budget 50%" in verdict.detail


def test_pragmas_silence_image_findings_on_their_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE.replace(
        "RUN apt-get", "# finalstage: ignore=FS104,FS107 # the compiler is the product\nRUN apt-get"))
    report = check(archive(tmp_path), dockerfile=str(path), policy=from_table({}, "x.toml"))
    assert not [f for f in report.findings if f.rule in ("FS104", "FS107", "FS201", "FS207")
                and f.location and f.location.line == 7]


def test_created_by_and_entrypoint_are_redacted(tmp_path: Path) -> None:
    history = [{"created_by": "RUN /bin/sh -c curl -u deploy:hunter2 https://x/y -o /a"}] * 3
    ref = archive(tmp_path, entrypoint=["/bin/sh", "-c", "/a --password=hunter2"],
                  history=history)
    report = check(ref, policy=from_table({"policy": {"forbidden-categories": ["compiler"],
                                                      "require-exec-form": True}}, "p.toml"))
    assert "hunter2" not in repr(report.findings)
    assert any(f.created_by and "****" in f.created_by for f in report.findings)


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
