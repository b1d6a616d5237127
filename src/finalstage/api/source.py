"""``open_image``: the image a command reads, with the layer cache attached when it may serve."""

from __future__ import annotations

from finalstage.fs.cache import LayerCache
from finalstage.image.image import Image
from finalstage.image.open import open_image as open_source
from finalstage.image.resolve import source_note
from finalstage.image.verified import ReadOnly
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
    keep_records: bool | None = None,
) -> Image:
    """Open ``ref`` (any transport: ``docker-archive:``, ``oci:``, ``docker://``…).

    ``verify=False`` skips digest checks (the listing then reads tar headers only). ``cache``
    reuses verified layer indexes from the cache directory: only verified scans are cached, so
    ``verify=False`` never uses it, and a lowered layer limit reads the layers again, because a
    cached layer was only checked against the limits in force when it was read.

    A verified read records the identity of each local layer file it hashed (``image.verified``,
    in the cache directory): the next verified read of the same, unchanged file lists the layer
    without hashing it. ``keep_records`` (default: ``cache``) writes them; else they are only
    read (``--no-cache`` writes nothing). ``reverify`` hashes every layer anyway (no record, no cached index is trusted).
    """
    image = open_source(ref, platform=platform, limits=limits, tls_verify=tls_verify,
                        auth_file=auth_file)
    image.verify = verify
    image.reverify = reverify
    if verify:
        records = LayerCache()
        is_kept = cache if keep_records is None else keep_records
        image.records = records if is_kept else ReadOnly(records)
        if cache and (limits is None or not is_lowered(limits)):
            image.cache = records
    return image


def source_notes(typed: object, image: Image) -> tuple[str, ...]:
    """A report's note saying where a bare image name was read from (none for a reference
    with a transport, or an ``Image`` the caller opened)."""
    note = source_note(typed, image.reference) if isinstance(typed, str) else None
    return (note,) if note else ()


__all__ = ["open_image", "source_notes"]
