"""``ls`` as text (``ls -l`` style, with the layer of each entry) and as JSON rows."""

from __future__ import annotations

import time
from typing import Any

from finalstage.escape import escape_control
from finalstage.facts.listing import Listing
from finalstage.fs.entry import KIND_NAMES, Entry


def _mtime(t: int) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
    except (OverflowError, OSError, ValueError):
        return "????-??-?? ??:??"


def ls_line(e: Entry, *, is_long: bool, full_path: bool) -> str:
    name = ("/" + e.path) if full_path else (e.name or "/")
    name = escape_control(name)
    if not is_long:
        return name
    target = ""
    if e.link is not None:
        arrow = "->" if e.kind == "l" else "link to"
        target = f" {arrow} {escape_control(('/' + e.link) if e.kind == 'h' else e.link)}"
    size = e.size
    return (
        f"{e.filemode()} {e.uid:>5} {e.gid:>5} {size:>11} {_mtime(e.mtime)}"
        f" L{e.layer:<3} {name}{target}"
    )


def render_listing(listing: Listing, *, is_long: bool = False) -> str:
    """One line per entry (names, or paths for a recursive or single-file listing)."""
    return "".join(ls_line(e, is_long=is_long, full_path=listing.full_paths) + "\n"
                   for e in listing.entries)


def listing_json(listing: Listing) -> dict[str, Any]:
    """The entries as JSON rows."""
    rows = [
        {
            "path": "/" + e.path,
            "type": KIND_NAMES.get(e.kind, e.kind),
            "mode": e.mode,
            "uid": e.uid,
            "gid": e.gid,
            "size": e.size,
            "mtime": e.mtime,
            "link": e.link,
            "layer": e.layer,
        }
        for e in listing.entries
    ]
    return {"path": listing.path, "entries": rows}


__all__ = ["listing_json", "ls_line", "render_listing"]
