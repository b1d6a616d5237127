"""FS9xx: the budgets and bans a policy sets (size, layers, categories, paths, packages, bases, structure tests)."""
