"""``lint --fix`` / ``--diff`` / ``--unsafe-fixes``: span edits that keep the file's own text.

Expected texts are written by hand: each is the input with only the fix's words added.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from finalstage.api.autofix import fix_text, lint_fix
from finalstage.api.lint import lint, lint_text
from finalstage.engine.fixes import apply_fixes
from finalstage.findings import Applicability, Edit, Fix

CONTINUED = """\
FROM debian:12-slim
RUN apt-get update \\
    # the tools we need
    && apt-get install -y --no-install-recommends curl \\
    && echo done
CMD ["curl", "--version"]
USER 65534
"""


def test_apt_lists_cleaned_after_the_last_line_keeping_comments() -> None:
    text, fixed = fix_text(CONTINUED)
    assert text == CONTINUED.replace("&& echo done", "&& echo done && rm -rf /var/lib/apt/lists/*")
    assert [f.rule for f in fixed] == ["FS107"]
    assert not [f for f in lint_text(text) if f.rule == "FS107"]


def test_heredoc_gets_a_line_of_its_own() -> None:
    src = "FROM debian:12-slim\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nUSER 1\n"
    text, _ = fix_text(src, unsafe=True)
    assert text == ("FROM debian:12-slim\nRUN <<EOF\napt-get update\n"
                    "apt-get install --no-install-recommends -y curl\n"
                    "rm -rf /var/lib/apt/lists/*\nEOF\nUSER 1\n")


def test_backtick_escape_file_keeps_its_escape() -> None:
    src = ("# escape=`\nFROM debian:12-slim\nRUN apt-get update && `\n"
           "    apt-get install -y curl\nUSER 1\n")
    text, _ = fix_text(src)
    assert text == src.replace("install -y curl", "install -y curl && rm -rf /var/lib/apt/lists/*")


def test_unsafe_fixes_only_when_asked() -> None:
    src = "FROM node:22-slim\nRUN npm ci\nCMD node server.js\n"
    safe, fixed = fix_text(src)
    assert safe == ("FROM node:22-slim\nRUN npm ci && npm cache clean --force\n"
                    'CMD ["node", "server.js"]\n')
    assert sorted(f.rule for f in fixed) == ["FS107", "FS402"]
    unsafe, _ = fix_text(src, unsafe=True)
    assert unsafe == ("FROM node:22-slim\nRUN npm ci --omit=dev && npm cache clean --force\n"
                      'USER 65534:65534\nCMD ["node", "server.js"]\n')
    assert {f.rule for f in lint_text(unsafe)} & {"FS105", "FS107", "FS401", "FS402"} == set()


def test_the_flag_goes_to_the_command_the_finding_is_about() -> None:
    src = ("FROM debian:12-slim\nRUN apt-get install -y --no-install-recommends a && "
           "apt-get install -y b && rm -rf /var/lib/apt/lists/*\nUSER 1\n")
    text, _ = fix_text(src, unsafe=True)
    assert text == src.replace("install -y b", "install --no-install-recommends -y b")


def test_shell_syntax_gets_no_exec_form_fix() -> None:
    src = 'FROM debian:12-slim\nUSER 1\nCMD app --port "$PORT"\n'
    finding = next(f for f in lint_text(src) if f.rule == "FS402")
    assert finding.fix is None
    assert fix_text(src)[0] == src


def test_overlapping_fixes_wait_for_the_next_pass() -> None:
    one = Fix("a", Applicability.SAFE, (Edit.insert(1, 3, "X"),))
    two = Fix("b", Applicability.SAFE, (Edit.insert(1, 3, "Y"),))
    three = Fix("c", Applicability.SAFE, (Edit(1, 0, 1, 1, "Z"),))
    text, applied = apply_fixes("abcdef\n", [one, two, three])
    assert (text, applied) == ("ZbcXdef\n", (three, one))


def test_lint_fix_writes_in_place_keeping_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbfFROM python:3.12-slim\r\nRUN pip install flask\r\nUSER 1\r\n")
    report = lint_fix(str(path))
    assert path.read_bytes() == (b"\xef\xbb\xbfFROM python:3.12-slim\r\n"
                                 b"RUN pip install --no-cache-dir flask\r\nUSER 1\r\n")
    assert report.notes[0] == "fixed 1 finding in 1 file"
    assert not [f for f in lint(str(path)).findings if f.rule == "FS107"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finalstage", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_diff_writes_nothing_and_fix_writes(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    src = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\nUSER 1\n"
    path.write_text(src)
    done = _cli("lint", "--diff", str(path))
    assert done.returncode == 1
    assert "+RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*" \
        in done.stdout
    assert path.read_text() == src
    done = _cli("lint", "--fix", str(path))
    assert "note: fixed 1 finding in 1 file" in done.stdout
    assert "note: 1 more fix available with --unsafe-fixes" in done.stdout
    assert "FS107" not in done.stdout and "FS108" in done.stdout
    done = _cli("lint", "--fix", "--unsafe-fixes", str(path))
    assert path.read_text() == ("FROM debian:12-slim\nRUN apt-get update && apt-get install "
                                "--no-install-recommends -y curl && rm -rf /var/lib/apt/lists/*"
                                "\nUSER 1\n")
    assert _cli("lint", "--diff", str(path)).returncode == 0
