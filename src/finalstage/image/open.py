"""``open_image(ref)``: one entry point for every source, dispatching on the transport."""

from __future__ import annotations

import importlib
from typing import Any

from finalstage.errors import ImageError, ImageNotFoundError
from finalstage.fs.tarstream import Limits
from finalstage.image.core import ImageCore
from finalstage.image.image import Image
from finalstage.image.refs import ImageRef, parse_reference


def open_core(
    ref: str | ImageRef, *, platform: str | None = None, **source_options: Any
) -> ImageCore:
    """The source core behind ``ref`` (see ``open_image``)."""
    r = ref if isinstance(ref, ImageRef) else parse_reference(ref)
    if platform is not None:
        from finalstage.image.platform import Platform

        Platform.parse(platform)  # fail early on a malformed --platform
    if r.transport in ("docker-archive", "oci-archive", "archive"):
        from finalstage.image.tarindex import TarIndex

        index = TarIndex(r.path)
        transport = r.transport
        if transport == "archive":
            is_oci = (
                "index.json" in index.members
                and "oci-layout" in index.members
                and "manifest.json" not in index.members
            )
            transport = "oci-archive" if is_oci else "docker-archive"
        if transport == "oci-archive":
            from finalstage.image import layout

            return layout.open_archive_core(r.path, r.ref, platform=platform, index=index)
        from finalstage.image import archive

        return archive.open_core(r.path, r.ref, index=index)
    if r.transport == "oci":
        from finalstage.image import layout

        return layout.open_dir_core(
            r.path, r.ref, platform=platform, shared_blobs=source_options.get("shared_blobs")
        )
    remote = {"docker": "registry", "docker-daemon": "daemon", "containers-storage": "storage"}
    module_name = remote[r.transport]
    try:
        module = importlib.import_module(f"finalstage.image.{module_name}")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("finalstage.image"):
            raise ImageError(
                f"opening {r}: the {r.transport} source is not available in this build"
            ) from None
        raise
    opener = getattr(module, "open_core", None)
    if opener is None:
        raise ImageError(f"opening {r}: the {r.transport} source is not available in this build")
    if r.transport == "docker":
        options = {k: v for k, v in source_options.items() if k in ("tls_verify", "auth_file")}
        return opener(f"docker://{r.path}", platform=platform, **options)
    return opener(r.path, platform=platform)


def open_image(
    ref: str, *, platform: str | None = None, limits: Limits | None = None, **source_options: Any
) -> Image:
    """Open an image from any supported reference; errors are FinalstageError subclasses.

    ``limits`` replaces the default resource limits (``fs.tarstream.DEFAULT_LIMITS``).
    """
    core = open_core(ref, platform=platform, **source_options)
    return Image(core) if limits is None else Image(core, limits=limits)


__all__ = ["ImageNotFoundError", "open_core", "open_image"]
