"""Person-object pair features and predicate heads (RelDN-style, frequency prior; Action Genome paper §4.1). Implemented under issue #3."""
