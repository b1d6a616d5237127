"""``scan``: a fleet of images — a registry, a list of references, local podman storage — ranked
by the bytes a fix would remove.

The work is split so that memory is bounded by the workers, never by the fleet:

1. ``targets``: the references to scan (a file, a registry's catalog and tag lists, podman);
2. ``meta``: each image's manifest and config only (``ImageMeta``: its layers, their
   ``created_by``) — all that a warm rerun reads;
3. ``tasks.index_layers``: every unique layer (by digest) read once, on a worker, into a
   ``LayerSummary`` — its removable bytes per kind, as the content rules count them;
4. ``tasks.judge_image``: each image's ``check`` verdict under the policy and its waste, from
   the layer indexes step 3 left in the layer cache;
5. ``rank.fleet``: the one ``FleetReport`` — totals with shared layers counted once, removable
   bytes per kind, fixes ranked by what they save across the images that share them.

Steps 3 and 4 run on a process pool or on Ray (``backends``); their results persist in a
SQLite store keyed by layer digest (``store``), so an interrupted scan resumes where it stopped.
"""
