"""Trust & safety: screening of pots, hash matching of media, policy hooks (DESIGN.md §5)."""
