"""Backups of a running system and restores into an empty data dir (`tilts backup`, `tilts restore`).

`take.py` says in which order the pieces are taken and why that makes the restored whole
consistent; `restore.py` what a restore checks before it writes; `erasures.py` why a restore
carries out the log's erasures again.
"""
