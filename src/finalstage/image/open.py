"""``open_image(ref)``: one entry point for every source, dispatching on the transport."""

from __future__ import annotations

import importlib
from typing import Any

from finalstage.errors import ImageError, ImageNotFoundError
from finalstage.image import archive, layout, resolve
from finalstage.image.core import ImageCore
from finalstage.image.image import Image
from finalstage.image.platform import Platform
from finalstage.image.refs import ImageRef, parse_reference
from finalstage.image.tarindex import TarIndex
from finalstage.limits import DEFAULT_LIMITS, Limits

# The sources that talk to something outside (a registry, a daemon, containers-storage) are
# imported by name when used: heavy optional dependency: imported on first use (httpx costs
# ~100 ms to import, and only these sources need it).
_REMOTE_MODULES = {"docker": "registry", "docker-daemon": "daemon", "containers-storage": "storage"}


def open_core(
    ref: str | ImageRef,
    *,
    platform: str | None = None,
    limits: Limits | None = None,
    **source_options: Any,
) -> ImageCore:
    """The source core behind ``ref`` (see ``open_image``); ``limits`` bound what the source
    reads before any layer (the outer archive, JSON documents, registry responses, timeouts)."""
    limits = limits or DEFAULT_LIMITS
    r = ref if isinstance(ref, ImageRef) else parse_reference(ref)
    if platform is not None:
        Platform.parse(platform)  # fail early on a malformed --platform
    if r.transport in ("docker-archive", "oci-archive", "archive"):
        return _open_archive(r, platform, limits)
    if r.transport == "oci":
        return layout.open_dir_core(
            r.path,
            r.ref,
            platform=platform,
            shared_blobs=source_options.get("shared_blobs"),
            limits=limits,
        )
    if r.transport == "name":
        return resolve.open_name_core(
            r.path,
            storage=lambda name: _open_remote(
                ImageRef("containers-storage", name), platform, limits, source_options),
            registry=lambda name: _open_remote(
                ImageRef("docker", name), platform, limits, source_options),
            timeout=limits.storage_timeout,
        )
    return _open_remote(r, platform, limits, source_options)


def _open_archive(r: ImageRef, platform: str | None, limits: Limits) -> ImageCore:
    """A docker-archive or an OCI layout archive; a bare ``.tar`` is told apart by its members."""
    index = TarIndex(r.path, limits=limits)
    transport = r.transport
    if transport == "archive":
        is_oci = (
            "index.json" in index.members
            and "oci-layout" in index.members
            and "manifest.json" not in index.members
        )
        transport = "oci-archive" if is_oci else "docker-archive"
    if transport == "oci-archive":
        return layout.open_archive_core(
            r.path, r.ref, platform=platform, index=index, limits=limits
        )
    return archive.open_core(r.path, r.ref, index=index, limits=limits)


def _open_remote(
    r: ImageRef, platform: str | None, limits: Limits, source_options: dict[str, Any]
) -> ImageCore:
    """A registry, daemon or containers-storage image, through its source module."""
    try:
        module = importlib.import_module(f"finalstage.image.{_REMOTE_MODULES[r.transport]}")
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
        return opener(f"docker://{r.path}", platform=platform, limits=limits, **options)
    return opener(r.path, platform=platform, limits=limits)


def open_image(
    ref: str, *, platform: str | None = None, limits: Limits | None = None, **source_options: Any
) -> Image:
    """Open an image from any supported reference; errors are FinalstageError subclasses.

    ``limits`` replaces the default resource limits (``finalstage.limits.DEFAULT_LIMITS``); the
    source gets them too, so ``--limit`` reaches the outer archive, JSON and registry bounds.
    """
    core = open_core(ref, platform=platform, limits=limits, **source_options)
    return Image(core) if limits is None else Image(core, limits=limits)


__all__ = ["ImageNotFoundError", "open_core", "open_image"]
