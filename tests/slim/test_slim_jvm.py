"""slim's JVM closure on a hand-made image holding the host's real ``java`` launcher and
``libjli.so`` in a Java home laid out as Debian's (``/usr/bin/java`` → the home's
``bin/java``, ``conf`` → ``/etc``), and real jars whose manifests name their ``Class-Path``."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from _images import BUSYBOX, add, make_image

import finalstage
from finalstage.slimming.capture import JarManifest, keep

JDK = Path("/usr/lib/jvm/java-17-openjdk-amd64")
HOME = "usr/lib/jvm/java-17"

pytestmark = [
    pytest.mark.skipif(BUSYBOX is None, reason="needs the host's static busybox"),
    pytest.mark.skipif(not (JDK / "bin/java").is_file(), reason="needs the host's OpenJDK 17"),
]


def jar(manifest: str, *classes: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/MANIFEST.MF", manifest)
        for name in classes:
            z.writestr(name, b"\xca\xfe\xba\xbe")
    return buf.getvalue()


# A Class-Path wrapped at 72 bytes the way the jar tool writes it (continuation lines start
# with one space and continue the value mid-word).
APP_MANIFEST = ("Manifest-Version: 1.0\r\nMain-Class: app.Main\r\nClass-Path: lib/dep.jar lib/"
                "with%20sp\r\n ace.jar classes/ https://example.invalid/remote.jar\r\n\r\n"
                "Name: app/\r\nClass-Path: lib/unused.jar\r\n\r\n")


def java_layer(tar: tarfile.TarFile) -> None:
    for d in ("usr/lib/jvm", HOME, f"{HOME}/bin", f"{HOME}/lib", f"{HOME}/lib/server",
              f"{HOME}/jmods", f"{HOME}/include", "etc/java-17", "etc/java-17/security",
              "srv", "srv/app", "srv/app/lib", "srv/app/classes", "srv/app/classes/app",
              "opt", "opt/agent"):
        add(tar, d, kind=tarfile.DIRTYPE, mode=0o755)
    java = (JDK / "bin/java").read_bytes()
    add(tar, f"{HOME}/bin/java", java, mode=0o755)
    add(tar, f"{HOME}/bin/javac", java, mode=0o755)
    add(tar, f"{HOME}/lib/libjli.so", (JDK / "lib/libjli.so").read_bytes())
    add(tar, f"{HOME}/lib/server/libjvm.so", b"dlopened by libjli per jvm.cfg")
    add(tar, f"{HOME}/lib/jvm.cfg", b"-server KNOWN\n")
    add(tar, f"{HOME}/lib/modules", b"the runtime image" * 64)
    add(tar, f"{HOME}/lib/ct.sym", b"javac symbols")
    add(tar, f"{HOME}/lib/libawt_xawt.so", b"X11 toolkit")
    add(tar, f"{HOME}/jmods/java.base.jmod", b"jmod")
    add(tar, f"{HOME}/include/jni.h", b"/* jni */")
    add(tar, f"{HOME}/conf", kind=tarfile.SYMTYPE, link="/etc/java-17")
    add(tar, "etc/java-17/security/java.security", b"securerandom.source=file:/dev/random\n")
    add(tar, "usr/bin", kind=tarfile.DIRTYPE, mode=0o755)
    add(tar, "usr/bin/java", kind=tarfile.SYMTYPE, link=f"/{HOME}/bin/java")
    add(tar, "srv/app/app.jar", jar(APP_MANIFEST, "app/Main.class"))
    add(tar, "srv/app/lib/dep.jar", jar("Manifest-Version: 1.0\r\nClass-Path: transitive.jar\r\n"
                                        "\r\n"))
    add(tar, "srv/app/lib/transitive.jar", jar("Manifest-Version: 1.0\r\n\r\n"))
    add(tar, "srv/app/lib/with space.jar", jar("Manifest-Version: 1.0\r\n\r\n"))
    add(tar, "srv/app/lib/unused.jar", jar("Manifest-Version: 1.0\r\n\r\n"))
    add(tar, "srv/app/classes/app/Extra.class", b"\xca\xfe\xba\xbe")
    add(tar, "opt/agent/agent.jar", jar("Manifest-Version: 1.0\r\n\r\n"))


def _kept(tmp_path: Path, entrypoint: list[str]) -> dict[str, tuple[str, ...]]:
    image = make_image(tmp_path / "java.oci", entrypoint=entrypoint, extra=java_layer)
    plan = finalstage.slim(f"oci:{image}", dry_run=True).detail.plan
    return {k.path: k.chain for k in plan.kept}


def test_manifest_class_path_with_continuation_lines() -> None:
    found = keep("srv/app/app.jar", jar(APP_MANIFEST))
    assert found == JarManifest(("lib/dep.jar", "lib/with space.jar", "classes/"), "app.Main")
    assert keep("srv/app/broken.jar", b"PK\x03\x04 not a zip") is None


def test_java_home_and_the_jar_class_path(tmp_path: Path) -> None:
    kept = _kept(tmp_path, ["java", "-Xmx64m", "-javaagent:/opt/agent/agent.jar=verbose",
                            "-jar", "/srv/app/app.jar", "--port", "8080"])
    for path in ("usr/bin/java", f"{HOME}/bin/java", f"{HOME}/lib/libjli.so",
                 f"{HOME}/lib/server/libjvm.so", f"{HOME}/lib/modules", f"{HOME}/lib/jvm.cfg",
                 f"{HOME}/conf", "etc/java-17/security/java.security", "srv/app/app.jar",
                 "srv/app/lib/dep.jar", "srv/app/lib/transitive.jar",
                 "srv/app/lib/with space.jar", "srv/app/classes/app/Extra.class",
                 "opt/agent/agent.jar"):
        assert "/" + path in kept, path
    for path in (f"{HOME}/bin/javac", f"{HOME}/lib/ct.sym", f"{HOME}/lib/libawt_xawt.so",
                 f"{HOME}/jmods/java.base.jmod", f"{HOME}/include/jni.h",
                 "srv/app/lib/unused.jar"):
        assert "/" + path not in kept, path
    assert kept["/srv/app/lib/transitive.jar"][:3] == (
        "Class-Path of /srv/app/lib/dep.jar", "Class-Path of /srv/app/app.jar",
        "-jar of /usr/lib/jvm/java-17/bin/java")


def test_classpath_option_with_a_jar_wildcard(tmp_path: Path) -> None:
    kept = _kept(tmp_path, ["/usr/bin/java", "-cp", "/srv/app/lib/*:/srv/app/classes",
                            "app.Main", "-jar", "not-a-java-option.jar"])
    for path in ("srv/app/lib/dep.jar", "srv/app/lib/unused.jar",
                 "srv/app/classes/app/Extra.class"):
        assert "/" + path in kept, path
    assert "/srv/app/app.jar" not in kept
    assert kept["/srv/app/lib/unused.jar"][0] == "classpath of /usr/lib/jvm/java-17/bin/java"
