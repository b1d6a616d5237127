"""The policy of ``finalstage check``: what a final image may be and contain.

- ``model``: the frozen ``Policy`` and its clauses (rules FS901–FS911);
- ``load``: read it from ``finalstage.toml`` / ``pyproject.toml`` / ``--policy FILE``;
- ``evaluate``: clauses on an image's facts → findings and one pass/fail result per clause;
- ``baseline``: fingerprints of known findings, to fail only on new ones.

``finalstage.check`` puts them together with the image reader, attribution, lint and the
container-structure-test configs (``finalstage.cst``).
"""
