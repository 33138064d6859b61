"""Caches: the shared response cache, its per-worker tier, snapshots and memos."""
