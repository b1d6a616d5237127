"""``finalstage fix``: rewrite a fat final stage into a builder and a minimal runtime stage.

``plan(dockerfile, text, base=None)`` returns the new Dockerfile text. The old final stage
stays as written (only ``AS build`` is added to its ``FROM``, and ``CGO_ENABLED=0`` before
``go build`` when the runtime base has no libc), so its comments, continuations and heredocs
survive; the runtime stage is appended after it. Where the artefact cannot be known the output
says so in a ``# TODO(finalstage)`` comment.
"""

from finalstage.rewrite.stage import Rewrite, plan

__all__ = ["Rewrite", "plan"]
