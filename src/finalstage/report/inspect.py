"""Render ``inspect`` results and ``ls`` listings as text (for people) or JSON (stable).

Every name that came out of an image goes through ``escape_control`` on text output: a file
called ``\\x1b]0;pwned\\x07`` must never reach a terminal as an escape sequence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from finalstage.fs.entry import KIND_NAMES, Entry
from finalstage.inspect import SCHEMA_VERSION, InspectResult, TreeNode
from finalstage.escape import escape_control
from finalstage.units import format_size


def _short(d: str | None) -> str:
    if not d:
        return "-"
    algo, _, hexpart = d.partition(":")
    return f"{algo}:{hexpart[:12]}"


def _argv(argv: tuple[str, ...] | None, shell: bool) -> str:
    if argv is None:
        return "-"
    form = "shell form" if shell else "exec form"
    return f"{escape_control(json.dumps(list(argv)))} ({form})"


def _tree_lines(node: TreeNode, prefix: str, out: list[str], is_root: bool) -> None:
    name = node.path if is_root else node.path.rsplit("/", 1)[-1]
    extra = f"  ({node.entries} entries)" if node.entries else ""
    out.append(f"{format_size(node.size):>10}  {prefix}{escape_control(name)}{extra}")
    for kid in node.children:
        _tree_lines(kid, prefix + "  ", out, False)
    if node.omitted:
        out.append(f"{'':>10}  {prefix}  … {node.omitted} more")


def render_text(r: InspectResult, *, packages: bool = False) -> str:
    """The human report; with an analysis, the contents tables (and packages) follow."""
    out: list[str] = []
    out.append(f"image      {escape_control(r.reference)}")
    out.append(f"digest     {r.digest or '-'}")
    out.append(f"id         {r.image_id}")
    out.append(f"platform   {r.platform or '-'}")
    out.append(f"created    {escape_control(r.created or '-')}")
    out.append(
        f"size       {format_size(r.compressed_size)} compressed, "
        f"{format_size(r.uncompressed_size)} uncompressed, {format_size(r.files_size)} in"
        f" {r.files} files ({r.entries} entries) after merging"
    )
    c = r.config
    out.append("")
    out.append("config")
    out.append(f"  user        {escape_control(c.user) if c.user else '(root)'}")
    out.append(f"  entrypoint  {_argv(c.entrypoint, c.is_entrypoint_shell_form)}")
    out.append(f"  cmd         {_argv(c.cmd, c.is_cmd_shell_form)}")
    out.append(f"  workdir     {escape_control(c.workdir or '-')}")
    out.append(f"  ports       {escape_control(', '.join(c.exposed_ports)) or '-'}")
    if c.volumes:
        out.append(f"  volumes     {escape_control(', '.join(c.volumes))}")
    for k, v in c.env:
        out.append(f"  env         {escape_control(k)}={escape_control(v)}")
    for k, v in c.labels:
        out.append(f"  label       {escape_control(k)}={escape_control(v)}")
    out.append("")
    out.append(f"layers ({len(r.layers)})")
    out.append(
        f"  {'#':>3}  {'size':>10}  {'stored':>10}  {'files':>6}  {'wasted':>9}  digest               created by"
    )
    for layer in r.layers:
        by = escape_control(" ".join((layer.created_by or "-").split()))
        if len(by) > 100:
            by = by[:99] + "…"
        out.append(
            f"  {layer.index:>3}  {format_size(layer.size):>10}  {format_size(layer.compressed_size):>10}"
            f"  {layer.files:>6}  {format_size(layer.wasted):>9}  {_short(layer.digest or layer.diff_id):<19}  {by}"
        )
    out.append("")
    out.append("tree")
    _tree_lines(r.tree, "", out, True)
    out.append("")
    out.append("largest files")
    for f in r.largest:
        out.append(f"{format_size(f.size):>10}  layer {f.layer:<3} {escape_control(f.path)}")
    w = r.waste
    out.append("")
    out.append(
        f"waste      {format_size(w.bytes)} in files overwritten or deleted by later layers;"
        f" efficiency {w.efficiency:.2%} (dive's score {w.dive_efficiency:.2%})"
    )
    for p in w.paths:
        layers = ",".join(str(i) for i in p.layers)
        out.append(
            f"{format_size(p.bytes):>10}  x{p.copies} (layer {layers})  {escape_control(p.path)}"
        )
    text = "\n".join(out) + "\n"
    if r.analysis is not None:
        from finalstage.report.contents import render_contents_text

        text += "\n" + render_contents_text(r.analysis, r.findings, packages=packages)
    return text


def _tree_json(node: TreeNode) -> dict[str, Any]:
    return {
        "path": node.path,
        "size": node.size,
        "entries": node.entries,
        "layer": node.layer,
        "children": [_tree_json(k) for k in node.children],
        "omitted": node.omitted,
    }


def to_json(r: InspectResult) -> dict[str, Any]:
    c = r.config
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "reference": r.reference,
        "digest": r.digest,
        "image_id": r.image_id,
        "platform": r.platform,
        "created": r.created,
        "size": {
            "compressed": r.compressed_size,
            "uncompressed": r.uncompressed_size,
            "files": r.files_size,
        },
        "layers": [
            {
                "index": layer.index,
                "digest": layer.digest,
                "diff_id": layer.diff_id,
                "media_type": layer.media_type,
                "compression": layer.compression,
                "size": layer.size,
                "compressed_size": layer.compressed_size,
                "content_size": layer.content_size,
                "created_by": layer.created_by,
                "files": layer.files,
                "added": layer.added,
                "changed": layer.changed,
                "deleted": layer.deleted,
                "wasted": layer.wasted,
            }
            for layer in r.layers
        ],
        "files": r.files,
        "entries": r.entries,
        "tree": _tree_json(r.tree),
        "largest": [asdict(f) for f in r.largest],
        "waste": {
            "bytes": r.waste.bytes,
            "efficiency": r.waste.efficiency,
            "dive_efficiency": r.waste.dive_efficiency,
            "paths": [
                {"path": p.path, "bytes": p.bytes, "copies": p.copies, "layers": list(p.layers)}
                for p in r.waste.paths
            ],
        },
        "config": {
            "user": c.user,
            "entrypoint": list(c.entrypoint) if c.entrypoint is not None else None,
            "entrypoint_shell_form": c.is_entrypoint_shell_form,
            "cmd": list(c.cmd) if c.cmd is not None else None,
            "cmd_shell_form": c.is_cmd_shell_form,
            "env": {k: v for k, v in c.env},
            "workdir": c.workdir,
            "exposed_ports": list(c.exposed_ports),
            "volumes": list(c.volumes),
            "labels": {k: v for k, v in c.labels},
            "stop_signal": c.stop_signal,
        },
    }
    if r.analysis is not None:
        from finalstage.report.contents import contents_data

        contents = contents_data(r.analysis, r.findings)
        data["findings"] = contents.pop("findings")
        data["contents"] = contents
    return data


def render_json(r: InspectResult) -> str:
    # ensure_ascii keeps surrogate-escaped (non-UTF-8) names encodable as \udcxx.
    return json.dumps(to_json(r), indent=2, ensure_ascii=True) + "\n"


# -- ls ---------------------------------------------------------------------------------------
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


def ls_json(entries: Iterable[Entry]) -> str:
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
        for e in entries
    ]
    return json.dumps({"schema_version": SCHEMA_VERSION, "entries": rows}, indent=2) + "\n"
