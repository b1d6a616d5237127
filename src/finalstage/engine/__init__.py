"""The findings engine: ``evaluate(facts, settings) -> Report`` for every command.

``evaluate.py`` runs the rules; ``merge.py`` ties image findings to Dockerfile lines and makes
one finding of one fact; ``pragmas.py`` applies suppression comments; ``baseline.py`` sets aside
known findings; ``verdicts.py`` turns rule outcomes into the policy's per-key verdicts.
"""

from __future__ import annotations

from finalstage.engine.evaluate import chosen_rules, evaluate

__all__ = ["chosen_rules", "evaluate"]
