"""Package-database readers: one module per ecosystem, all returning ``Package`` records."""
