"""Rebuilding the reporting read models from the log into a fresh schema, and swapping it in."""
