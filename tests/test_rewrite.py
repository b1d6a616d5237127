"""``finalstage fix DOCKERFILE``: the structural rewrite, read line by line (expected texts
written by hand from the examples' Dockerfiles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from finalstage.api.fix import fix
from finalstage.dockerfile import parse_text
from finalstage.errors import UsageError
from finalstage.rewrite import plan

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".." / "shared" / "bench" / "images"


def _rewrite(text: str, base: str | None = None) -> str:
    return plan(parse_text(text), text, base).text


def test_go_on_scratch_is_static_and_keeps_the_builder_as_written() -> None:
    src = ("FROM golang:1.22-bookworm\n# build it\nWORKDIR /app\nCOPY . .\n"
           "RUN go build -o server .\nEXPOSE 8080\nCMD ./server -addr :8080\n")
    out = _rewrite(src, "scratch")
    head, _, tail = out.partition("\n\n# finalstage fix:")
    assert head + "\n" == src.replace("bookworm\n", "bookworm AS build\n", 1).replace(
        "RUN go build", "RUN CGO_ENABLED=0 go build")
    assert tail.splitlines()[2:] == [
        "FROM scratch", "WORKDIR /app",
        "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/",
        "COPY --from=build /app/server /app/server", "EXPOSE 8080", "USER 65534:65534",
        'CMD ["./server", "-addr", ":8080"]']


def test_python_gets_production_requirements_only_on_the_slim_sibling() -> None:
    src = ("FROM python:3.12-bookworm\nWORKDIR /app\nCOPY . .\nARG PIP_CERT\n"
           "RUN pip install -r requirements.txt -r requirements-dev.txt\nUSER app\n"
           "CMD python app.py\n")
    tail = _rewrite(src).partition("holds only the artefacts.\n")[2]
    assert tail.splitlines() == [
        "FROM build AS deps", "ARG PIP_CERT",
        "RUN pip install --no-cache-dir --target=/deps -r requirements.txt", "",
        "FROM python:3.12-slim-bookworm", "WORKDIR /app",
        "COPY --from=deps /deps /opt/python-deps", "ENV PYTHONPATH=/opt/python-deps",
        "COPY --from=build /app/*.py /app/",
        "# TODO(finalstage): copy any other files the app reads at run time (templates, data)",
        "USER app", 'CMD ["python", "app.py"]']


def test_python_on_a_plain_distro_installs_the_runtime_only() -> None:
    src = ("FROM localhost/debian:bookworm\nRUN apt-get update && apt-get install -y python3 "
           "python3-pip python3-dev\nWORKDIR /app\nCOPY . /app\n"
           "RUN pip install --break-system-packages -r requirements.txt\n"
           'CMD ["python3", "app.py"]\n')
    out = _rewrite(src, "localhost/debian:bookworm")
    assert ("FROM localhost/debian:bookworm\nRUN apt-get update && apt-get install -y "
            "--no-install-recommends python3 && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
            ) in out
    assert "python3-dev" not in out.partition("AS deps")[2]


def test_unknown_artefact_is_a_marked_todo() -> None:
    out = _rewrite("FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build ./...\n", "scratch")
    assert "# TODO(finalstage): copy the binary your go build makes" in out


def test_no_family_and_no_base_fail_with_the_reason() -> None:
    with pytest.raises(UsageError, match="cannot tell the application's language"):
        _rewrite("FROM debian:12\nRUN echo hi\n")
    with pytest.raises(UsageError, match="give one with --base"):
        _rewrite("FROM debian:12\nRUN pip install flask\n")


@pytest.mark.parametrize("example", ["go", "python", "node"])
def test_examples_rewrite_parses(example: str) -> None:
    report = fix(ROOT / "examples" / example / "Dockerfile.fat")
    assert parse_text(report.detail.rewrite.text).final_stage.base != \
        parse_text((ROOT / "examples" / example / "Dockerfile.fat").read_text()).final_stage.base
    assert not [f for f in report.findings if f.rule in ("FS101", "FS105", "FS401", "FS402")]


@pytest.mark.parametrize("example", ["go", "python", "node"])
def test_cli_fix_prints_the_rewrite_on_stdout(example: str) -> None:
    # the default: no -o, no --write; the new Dockerfile is the whole of stdout
    source = ROOT / "examples" / example / "Dockerfile.fat"
    done = subprocess.run([sys.executable, "-m", "finalstage", "fix", str(source)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == fix(source).detail.rewrite.text
    stages = parse_text(done.stdout).stages
    assert len(stages) >= 2 and stages[0].name == "build"
    assert source.read_text() == (ROOT / "examples" / example / "Dockerfile.fat").read_text()


@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/bench is absent")
def test_cli_fix_bench_fat_go_on_scratch(tmp_path: Path) -> None:
    out = tmp_path / "Dockerfile"
    done = subprocess.run([sys.executable, "-m", "finalstage", "fix", "--base", "scratch", "-o",
                           str(out), str(BENCH / "fat-go" / "Dockerfile")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "RUN CGO_ENABLED=0 go build -o /usr/local/bin/hello-server ." in text
    assert text.rstrip().endswith('ENTRYPOINT ["/usr/local/bin/hello-server"]')
    assert "note: CGO_ENABLED=0 added" in done.stderr


NODE_SRC = "FROM node:20-bookworm\nWORKDIR /srv\nCOPY . .\nRUN npm ci\nCMD {cmd}\n"


def _node(tmp_path: Path, manifest: str, cmd: str = "npm start") -> str:
    (tmp_path / "package.json").write_text(manifest)
    text = NODE_SRC.format(cmd=cmd)
    rewritten = plan(parse_text(text), text, context=tmp_path).text
    return rewritten.split("FROM node:20-bookworm-slim\n")[1]


@pytest.mark.parametrize("cmd", ["npm start", '["npm", "start"]', "npm run start"])
def test_node_start_script_runs_directly_with_only_what_it_needs(tmp_path: Path, cmd: str) -> None:
    stage = _node(tmp_path, '{"scripts": {"start": "node lib/main.js --port 80"}}', cmd)
    assert stage.splitlines() == [
        "WORKDIR /srv", "COPY --from=deps /srv/node_modules /srv/node_modules",
        "COPY --from=deps /srv/package.json /srv/package.json",
        "COPY --from=deps /srv/lib /srv/lib", "USER 65534:65534",
        'CMD ["node", "lib/main.js", "--port", "80"]']


def test_node_files_field_and_npms_default_start(tmp_path: Path) -> None:
    # no start script: npm runs `node server.js`; `files` names what the package ships
    stage = _node(tmp_path, '{"files": ["dist/", "views"]}')
    assert [line for line in stage.splitlines() if line.startswith("COPY")] == [
        "COPY --from=deps /srv/node_modules /srv/node_modules",
        "COPY --from=deps /srv/package.json /srv/package.json",
        "COPY --from=deps /srv/dist /srv/dist", "COPY --from=deps /srv/views /srv/views",
        "COPY --from=deps /srv/server.js /srv/server.js"]
    assert stage.rstrip().endswith('CMD ["node", "server.js"]')


@pytest.mark.parametrize("manifest", [
    '{"scripts": {"start": "NODE_ENV=production node app.js"}}',  # needs a shell
    '{"scripts": {"start": "ts-node src/app.ts"}}',                 # not plain node
    '{"scripts": {"start": "node ../outside.js"}}',
    "[1, 2]", "not json"])
def test_node_start_not_plain_keeps_the_todo_and_npm(tmp_path: Path, manifest: str) -> None:
    stage = _node(tmp_path, manifest)
    assert "# TODO(finalstage): the application's own files are not known" in stage
    assert "COPY --from=deps /srv/ /srv/" in stage
    assert stage.rstrip().endswith('CMD ["npm", "start"]')


@pytest.mark.parametrize("value", ["abc", "70000/", "0/healthz"])
def test_cli_fix_bad_probe_http_is_one_line_before_any_build(tmp_path: Path, value: str) -> None:
    out = tmp_path / "Dockerfile.new"
    done = subprocess.run([sys.executable, "-m", "finalstage", "fix", "--verify", "--probe-http",
                           value, "-o", str(out), str(ROOT / "examples" / "go" / "Dockerfile.fat")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and not out.exists()
    assert done.stderr.count("\n") == 1 and "--probe-http" in done.stderr
