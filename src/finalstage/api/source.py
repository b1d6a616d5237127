"""``open_image``: the image a command reads, with the layer cache attached when it may serve."""

from __future__ import annotations

from finalstage.fs.cache import LayerCache
from finalstage.image.image import Image
from finalstage.image.open import open_image as open_source
from finalstage.limits import Limits, is_lowered


def open_image(
    ref: str,
    *,
    platform: str | None = None,
    limits: Limits | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    verify: bool = True,
    cache: bool = False,
    reverify: bool = False,
) -> Image:
    """Open ``ref`` (any transport: ``docker-archive:``, ``oci:``, ``docker://``…).

    ``verify=False`` skips digest checks (the listing then reads tar headers only). ``cache``
    reuses verified layer indexes from the cache directory: only verified scans are cached, so
    ``verify=False`` never uses it, and a lowered layer limit reads the layers again, because a
    cached layer was only checked against the limits in force when it was read.

    A verified read records the identity of each local layer file it hashed (``image.verified``,
    in the cache directory, whatever ``cache`` says): the next verified read of the same,
    unchanged file lists the layer without hashing it. ``reverify`` hashes every layer anyway
    (no record, no cached index is trusted) and records again.
    """
    image = open_source(ref, platform=platform, limits=limits, tls_verify=tls_verify,
                        auth_file=auth_file)
    image.verify = verify
    image.reverify = reverify
    if verify:
        image.records = LayerCache()
    if cache and verify and (limits is None or not is_lowered(limits)):
        image.cache = image.records
    return image


__all__ = ["open_image"]
