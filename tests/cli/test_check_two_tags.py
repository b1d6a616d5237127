"""Issue 14 item 5 end to end: one real image under two tags (OCI layouts written by skopeo)
gives the same SARIF partialFingerprints and the same JUnit classnames, so a retagged image
matches the alerts code scanning already holds."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli._cli import run

ROOT = Path(__file__).resolve().parents[2]
FAT = ROOT / "examples" / "images" / "busybox-fat.tar"
POLICY = ROOT / "examples" / "finalstage.toml"

pytestmark = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")


def _tagged(tmp_path: Path, tag: str) -> str:
    layout = tmp_path / tag.replace(".", "-")
    subprocess.run(["skopeo", "copy", "-q", f"docker-archive:{FAT}", f"oci:{layout}:{tag}"],
                   check=True, capture_output=True, timeout=120)
    return f"oci:{layout}:{tag}"


def test_a_new_tag_keeps_fingerprints_and_classnames(tmp_path: Path) -> None:
    sarif, junit = {}, {}
    for tag in ("1.0", "2.0"):
        ref = _tagged(tmp_path, tag)
        out_s, out_j = tmp_path / f"{tag}.sarif", tmp_path / f"{tag}.xml"
        done = run("check", ref, "--policy", str(POLICY), "--no-color",
                   "-o", f"sarif={out_s}", "-o", f"junit={out_j}")
        assert done.returncode == 1, done.stderr  # the fat image fails the examples' policy
        results = json.loads(out_s.read_text())["runs"][0]["results"]
        sarif[tag] = sorted(r["partialFingerprints"]["finalstage/v1"] for r in results)
        junit[tag] = sorted(c.get("classname", "") + "::" + c.get("name", "")
                            for c in ET.parse(out_j).iter("testcase"))
        assert all(tag not in name.split("::")[0] for name in junit[tag])
    assert sarif["1.0"] and sarif["1.0"] == sarif["2.0"]
    assert junit["1.0"] and junit["1.0"] == junit["2.0"]
