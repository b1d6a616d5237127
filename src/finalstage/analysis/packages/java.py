"""Java: ``META-INF/maven/<group>/<artifact>/pom.properties`` (in unpacked trees).

Jars themselves are not opened (that would need their whole bytes); a jar's own pom.properties
is read only when the jar was unpacked into the image (Spring Boot layered jars, Jib images).
"""

from __future__ import annotations

from finalstage.analysis.packages.model import Ecosystem, Package, decode

POM_PROPERTIES = "pom.properties"


def is_pom_properties(path: str) -> bool:
    """True for ``…/META-INF/maven/<g>/<a>/pom.properties``."""
    return path.endswith("/pom.properties") and "META-INF/maven/" in path


def parse_pom_properties(data: bytes, location: str) -> Package | None:
    """The Maven coordinates of one pom.properties, None when incomplete."""
    props: dict[str, str] = {}
    for line in decode(data).splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    group, artifact = props.get("groupId"), props.get("artifactId")
    if not group or not artifact:
        return None
    return Package(Ecosystem.MAVEN, f"{group}:{artifact}", props.get("version", ""), location)
