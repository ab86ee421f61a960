"""Mining the process staff actually follow: maps, variants, deviations, the backlog."""
