"""``inspect`` as text for people: image, config, layers, tree, largest files, waste, then the
contents tables. Every name that came out of an image goes through ``escape_control``: a file
called ``\\x1b]0;pwned\\x07`` must never reach a terminal as an escape sequence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from finalstage.escape import escape_control
from finalstage.facts.summary import InspectResult, TreeNode
from finalstage.findings import Finding
from finalstage.report.contents import render_contents_text
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


def render_text(r: InspectResult, findings: Sequence[Finding] = (), *,
                packages: bool = False) -> str:
    """The human report; with an analysis, the contents tables (and packages) follow."""
    out = _head(r) + [""] + _config(r) + [""] + _layers(r) + ["", "tree"]
    _tree_lines(r.tree, "", out, True)
    out += ["", "largest files"]
    out += [f"{format_size(f.size):>10}  layer {f.layer:<3} {escape_control(f.path)}"
            for f in r.largest]
    w = r.waste
    out += ["", f"waste      {format_size(w.bytes)} in files overwritten or deleted by later "
            f"layers; efficiency {w.efficiency:.2%} (dive's score {w.dive_efficiency:.2%})"]
    for p in w.paths:
        layers = ",".join(str(i) for i in p.layers)
        out.append(f"{format_size(p.bytes):>10}  x{p.copies} (layer {layers})  "
                   f"{escape_control(p.path)}")
    text = "\n".join(out) + "\n"
    if r.analysis is not None:
        text += "\n" + render_contents_text(r.analysis, findings, packages=packages)
    return text


def _head(r: InspectResult) -> list[str]:
    return [
        f"image      {escape_control(r.reference)}",
        f"digest     {_digest(r)}",
        f"id         {r.image_id} (the config's digest: the IMAGE ID podman and docker show)",
        f"platform   {r.platform or '-'}",
        f"created    {escape_control(r.created or '-')}",
        f"size       {format_size(r.compressed_size)} compressed, "
        f"{format_size(r.uncompressed_size)} uncompressed, {format_size(r.files_size)} in"
        f" {r.files} files ({r.entries} entries) after merging",
    ]


# Which manifest the digest is of, by transport (the reference's prefix).
_DIGEST_OF = (
    ("containers-storage:", "the manifest containers-storage keeps, as skopeo inspect shows it"),
    ("docker://", "the manifest the registry serves"),
    ("oci:", "the manifest the layout's index names"),
    ("oci-archive:", "the manifest the layout's index names"),
)


def _digest(r: InspectResult) -> str:
    if r.digest is None:
        return "- (the source keeps no manifest: docker save output)"
    of = next((text for prefix, text in _DIGEST_OF if r.reference.startswith(prefix)),
              "the manifest's digest")
    return f"{r.digest} ({of})"


def _config(r: InspectResult) -> list[str]:
    c = r.config
    out = [
        "config",
        f"  user        {escape_control(c.user) if c.user else '(root)'}",
        f"  entrypoint  {_argv(c.entrypoint, c.is_entrypoint_shell_form)}",
        f"  cmd         {_argv(c.cmd, c.is_cmd_shell_form)}",
        f"  workdir     {escape_control(c.workdir or '-')}",
        f"  ports       {escape_control(', '.join(c.exposed_ports)) or '-'}",
    ]
    if c.volumes:
        out.append(f"  volumes     {escape_control(', '.join(c.volumes))}")
    out += [f"  env         {escape_control(k)}={escape_control(v)}" for k, v in c.env]
    out += [f"  label       {escape_control(k)}={escape_control(v)}" for k, v in c.labels]
    return out


def _layers(r: InspectResult) -> list[str]:
    history = f"; {r.history_entries} history entries" if r.history_entries != len(r.layers) \
        else ""
    out = [f"layers ({len(r.layers)}{history})",
           f"  {'#':>3}  {'size':>10}  {'stored':>10}  {'files':>6}  {'wasted':>9}  digest"
           "               created by"]
    for layer in r.layers:
        by = escape_control(" ".join((layer.created_by or "-").split()))
        if len(by) > 100:
            by = by[:99] + "…"
        out.append(
            f"  {layer.index:>3}  {format_size(layer.size):>10}  "
            f"{format_size(layer.compressed_size):>10}  {layer.files:>6}  "
            f"{format_size(layer.wasted):>9}  {_short(layer.digest or layer.diff_id):<19}  {by}")
    return out


__all__ = ["render_text"]
