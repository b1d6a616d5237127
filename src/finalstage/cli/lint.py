"""`finalstage lint` (placeholder until the lint command lands)."""
