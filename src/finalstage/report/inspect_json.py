"""``inspect`` as stable JSON (documented in docs/json-schema.md): sizes, layers, tree, largest
files, waste, config and the contents section, snake_case keys, int bytes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from finalstage.facts.summary import ConfigSummary, InspectResult, LayerSummary, TreeNode
from finalstage.report.contents import contents_data


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
    """The inspect summary as JSON-ready keys, merged at the top level of the document."""
    data: dict[str, Any] = {
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
        "layers": [_layer_json(layer) for layer in r.layers],
        "history_entries": r.history_entries,
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
        "config": _config_json(r.config),
    }
    if r.analysis is not None:
        data["contents"] = contents_data(r.analysis)
    return data


def _layer_json(layer: LayerSummary) -> dict[str, Any]:
    return {
        "index": layer.index, "digest": layer.digest, "diff_id": layer.diff_id,
        "media_type": layer.media_type, "compression": layer.compression, "size": layer.size,
        "compressed_size": layer.compressed_size, "content_size": layer.content_size,
        "created_by": layer.created_by, "files": layer.files, "added": layer.added,
        "changed": layer.changed, "deleted": layer.deleted, "wasted": layer.wasted,
    }


def _config_json(c: ConfigSummary) -> dict[str, Any]:
    return {
        "user": c.user,
        "entrypoint": list(c.entrypoint) if c.entrypoint is not None else None,
        "entrypoint_shell_form": c.is_entrypoint_shell_form,
        "cmd": list(c.cmd) if c.cmd is not None else None,
        "cmd_shell_form": c.is_cmd_shell_form,
        "env": dict(c.env),
        "workdir": c.workdir,
        "exposed_ports": list(c.exposed_ports),
        "volumes": list(c.volumes),
        "labels": dict(c.labels),
        "stop_signal": c.stop_signal,
    }


__all__ = ["to_json"]
