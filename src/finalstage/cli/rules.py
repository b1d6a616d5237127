"""`finalstage rules` (placeholder until the rule registry lands)."""
