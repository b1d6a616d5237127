"""The composite GitHub Action (action.yml), run locally: its ``run`` steps execute with bash as
the runner would (``GITHUB_ACTION_PATH``, ``RUNNER_TEMP``, ``GITHUB_PATH``, ``GITHUB_OUTPUT`` and
the step's ``env`` with the inputs filled in), on the unpacked sdist as the action's checkout.
The ``uses`` steps (setup-python, upload-sarif) are GitHub's own: here the test checks what they
are given — a Python version, and a SARIF file that exists and is valid SARIF 2.1.0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
IMAGE = ROOT / "examples" / "images" / "busybox-fat.tar"

pytestmark = pytest.mark.slow
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _evaluate(text: str, inputs: dict[str, str]) -> str:
    """``${{ inputs.x }}`` → the input's value (the only expressions the run steps use)."""
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression.startswith("inputs."), expression
        return inputs[expression.removeprefix("inputs.")]
    return _EXPRESSION.sub(one, text)


def _inputs(**given: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for name, spec in ACTION["inputs"].items():
        if spec.get("required"):
            assert name in given, f"input {name} is required"
    values.update(given)
    return values


def run_action(work: Path, action_path: Path, **given: str) -> dict[str, Any]:
    """Run the composite action's steps in ``work``; what each step did."""
    inputs = _inputs(**given)
    temp, path_file, output_file = work / "runner-temp", work / "github-path", work / "out"
    temp.mkdir()
    path_file.write_text("")
    extra_path: list[str] = []
    outputs: dict[str, str] = {}
    steps: list[dict[str, Any]] = []
    failed = False
    for step in ACTION["runs"]["steps"]:
        if failed and "always()" not in str(step.get("if", "")):
            continue  # after a failed step the runner runs only the always() ones
        if "uses" in step:
            steps.append({"uses": step["uses"],
                          "with": {k: _evaluate(str(v), inputs)
                                   for k, v in step.get("with", {}).items()}})
            continue
        assert step["shell"] == "bash"
        output_file.write_text("")
        env = {**os.environ, "GITHUB_ACTION_PATH": str(action_path), "RUNNER_TEMP": str(temp),
               "GITHUB_PATH": str(path_file), "GITHUB_OUTPUT": str(output_file),
               **{k: _evaluate(str(v), inputs) for k, v in step.get("env", {}).items()}}
        env["PATH"] = os.pathsep.join([*extra_path, env["PATH"]])
        env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"}
        # the runner's bash: bash --noprofile --norc -eo pipefail {0}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                               step["run"]], cwd=work, env=env, capture_output=True, text=True,
                              timeout=1200, check=False)
        extra_path = [line for line in path_file.read_text().splitlines() if line] + extra_path
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        steps.append({"name": step["name"], "code": done.returncode, "stdout": done.stdout,
                      "stderr": done.stderr})
        failed = failed or done.returncode != 0
    return {"steps": steps, "outputs": outputs}


@pytest.fixture(scope="module")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout: the unpacked sdist (what a release tag of the repository holds)."""
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("sdist")
    done = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out),
                           str(ROOT)], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (sdist,) = out.glob("finalstage-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(out, filter="data")
    (checkout,) = [p for p in out.iterdir() if p.is_dir()]
    return checkout


def test_action_metadata() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"image", "dockerfile", "policy", "format"} <= set(ACTION["inputs"])
    assert ACTION["inputs"]["image"]["required"] is True
    uses = [s["uses"].split("@")[0] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif"]


@pytest.mark.skipif(not IMAGE.is_file(), reason="examples/images not built")
def test_action_steps_run_locally(action_checkout: Path, tmp_path: Path) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    result = run_action(work, action_checkout, image=str(IMAGE),
                        dockerfile=str(ROOT / "examples" / "busybox" / "Dockerfile.fat"),
                        policy=str(ROOT / "examples" / "finalstage.toml"))
    setup, install, check, upload = result["steps"]
    assert setup["with"]["python-version"] == "3.12"
    assert install["code"] == 0, install["stderr"][-3000:]
    # the policy fails: the step fails the job, says so in its output, and annotates
    assert check["code"] == 1, check["stderr"]
    assert result["outputs"]["exit-code"] == "1"
    assert "::error " in check["stdout"]
    assert upload["with"]["sarif_file"] == "finalstage.sarif"
    sarif = json.loads((work / "finalstage.sarif").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "tests" / "report" / "data" / "sarif-schema-2.1.0.json")
                        .read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    assert sarif["runs"][0]["results"]

