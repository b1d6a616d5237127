"""slim of a JVM image, proven with podman: Debian bookworm (the harness's stand-in) with the
host's OpenJDK 17 (a bookworm package: same glibc) and an application whose jar names its
library in the manifest's ``Class-Path``. The source and the slim image run ``-selftest``
(classes from both jars, SHA-256 from the JDK's providers, a time zone from ``tzdb.dat``)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from test_slim_examples import slim
from tests.harness.build import Builder, local_name

JDK = Path("/usr/lib/jvm/java-17-openjdk-amd64")
ETC = Path("/etc/java-17-openjdk")
CACERTS = Path("/etc/ssl/certs/java/cacerts")

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(any(shutil.which(t) is None for t in ("podman", "strace", "buildah")),
                       reason="needs podman, buildah and strace"),
    pytest.mark.skipif(not (JDK / "bin/javac").is_file() or not ETC.is_dir(),
                       reason="needs the host's OpenJDK 17 (javac included)"),
]

GREET = "package greet;\npublic class Greet { public static String hello(String who) " \
        "{ return \"hello, \" + who; } }\n"
MAIN = """package app;
public class Main {
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("-selftest")) {
      System.out.println(greet.Greet.hello("slim"));
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest("x".getBytes("UTF-8"));
      System.out.println("sha256(x) = " + java.util.HexFormat.of().formatHex(d));
      System.out.println("zone = " + java.time.ZoneId.of("Europe/Paris").getRules()
          .getOffset(java.time.Instant.EPOCH));
      return;
    }
    System.out.println("usage: -selftest");
  }
}
"""
# FROM the stand-in by its test-namespace name: the public name is not in a clean storage
DOCKERFILE = f"""FROM {local_name("docker.io/library/debian:bookworm-slim")}
COPY jdk/ /usr/lib/jvm/java-17-openjdk-amd64/
COPY etcjava/ /etc/java-17-openjdk/
COPY cacerts /etc/ssl/certs/java/cacerts
RUN ln -s /usr/lib/jvm/java-17-openjdk-amd64/bin/java /etc/alternatives/java \\
 && ln -s /etc/alternatives/java /usr/bin/java \\
 && ln -s /usr/lib/jvm/java-17-openjdk-amd64/bin/javac /usr/bin/javac
WORKDIR /srv
COPY app/ /srv/
RUN useradd --uid 1000 --create-home app
USER app
ENTRYPOINT ["java", "-jar", "/srv/app.jar"]
"""


def _run(*cmd: str, cwd: Path | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, (cmd, done.stderr[-2000:])


def _context(root: Path) -> Path:
    """The build context: the application's jars (compiled here), its sources, the JDK."""
    src, out, ctx = root / "src", root / "out", root / "ctx"
    for d in (src / "greet", src / "app", out, ctx / "app/lib"):
        d.mkdir(parents=True)
    (src / "greet/Greet.java").write_text(GREET)
    (src / "app/Main.java").write_text(MAIN)
    javac, jar = str(JDK / "bin/javac"), str(JDK / "bin/jar")
    _run(javac, "-d", str(out / "greet"), str(src / "greet/Greet.java"))
    _run(jar, "--create", "--file", str(ctx / "app/lib/greet.jar"), "-C", str(out / "greet"), ".")
    _run(javac, "-cp", str(ctx / "app/lib/greet.jar"), "-d", str(out / "app"),
         str(src / "app/Main.java"))
    (root / "manifest.txt").write_text("Main-Class: app.Main\nClass-Path: lib/greet.jar\n")
    _run(jar, "--create", "--file", str(ctx / "app/app.jar"), "--manifest",
         str(root / "manifest.txt"), "-C", str(out / "app"), ".")
    shutil.copytree(src, ctx / "app/src")
    shutil.copytree(JDK, ctx / "jdk", symlinks=True)
    shutil.copytree(ETC, ctx / "etcjava", symlinks=True)
    shutil.copyfile(CACERTS, ctx / "cacerts")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    return ctx


@pytest.mark.timeout(1800)
def test_jvm_image_is_slimmed_and_proven(tmp_path: Path, image_builder: Builder) -> None:
    image_builder.ensure_standin("debian-slim")
    name = f"localhost/finalstage-test/slim-jvm:{uuid.uuid4().hex[:12]}"
    _run("buildah", "bud", "--pull=never", "-q", "-t", name, str(_context(tmp_path)))
    try:
        code, doc, err = slim(f"containers-storage:{name}", "-o", f"oci:{tmp_path}/slim",
                              "--probe-cmd", "-selftest")
    finally:
        subprocess.run(["podman", "rmi", "-f", name], capture_output=True, timeout=120,
                       check=False)
    proof = doc["verification"]
    assert code == 0, (err, proof)
    assert proof["missing"] == [] and proof["paths_read"] > 0
    assert proof["source_run"]["stdout"] == proof["slim_run"]["stdout"]
    assert proof["slim_run"]["stdout"].startswith("hello, slim\nsha256(x) = 2d711642")
    assert proof["check"] == {"status": "pass", "findings": []}
    kept = {k["path"]: k["reasons"] for k in doc["kept"]}
    home = "/usr/lib/jvm/java-17-openjdk-amd64"
    assert kept["/srv/lib/greet.jar"][0] == "Class-Path of /srv/app.jar"
    assert f"{home}/lib/server/libjvm.so" in kept and f"{home}/lib/modules" in kept
    for gone in (f"{home}/bin/javac", "/usr/bin/javac", f"{home}/jmods/java.base.jmod",
                 "/srv/src/app/Main.java", "/usr/bin/apt"):
        assert gone not in kept, gone
    assert doc["size_after"] * 3 < doc["size_before"] * 2
