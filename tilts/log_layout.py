"""Which NATS store under the data dir holds the event log: `nats/` (one server) or `nats-cluster/`.

`tilts up` keeps the log in `<data dir>/nats`, `tilts up --cluster N` in `<data dir>/nats-cluster/n0…`.
Started the other way than its log was made, `tilts up` used to start a new, empty log beside the
old one, while the read models in PostgreSQL stayed at their positions in the old log: the events
appended to the new log under those sequence numbers were skipped without a word. So `tilts up`
refuses a layout whose store holds no log while the other one does. Nothing moves a log from one
layout to the other in place; a cluster's log comes to one server through `tilts backup` and
`tilts restore` (which always restores into `nats/`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SINGLE_FOLDER = "nats"  # the same folder `tilts restore` restores into (shared/backup/restore.py)
CLUSTER_FOLDER = "nats-cluster"


def holds_log(store: Path) -> bool:
    """Whether a nats-server store dir has at least one stream in it."""
    # nats-server writes each stream's config to jetstream/<account>/streams/<stream>/meta.inf. An
    # empty jetstream/ folder is written on every start, and a cluster node keeps its own raft
    # state under jetstream/$SYS before any stream exists: neither is a log.
    return any(store.glob("jetstream/*/streams/*/meta.inf"))


@dataclass(frozen=True)
class Stores:
    """What the data dir's two NATS layouts hold."""

    single_log: bool     # nats/ holds a log
    cluster_log: bool    # some node under nats-cluster/ holds one
    cluster_nodes: int   # node folders under nats-cluster/ (the size it was run with)


def find_stores(data_dir: Path) -> Stores:
    """Look at both layouts' stores under `data_dir`."""
    nodes = sorted(path for path in (data_dir / CLUSTER_FOLDER).glob("n*") if path.is_dir())
    return Stores(holds_log(data_dir / SINGLE_FOLDER), any(holds_log(node) for node in nodes), len(nodes))


def layout_problem(data_dir: Path, cluster: int, stores: Stores) -> str | None:
    """Why starting `cluster` nodes would start an empty log beside this data dir's; None if it would not."""
    single, clustered = data_dir / SINGLE_FOLDER, data_dir / CLUSTER_FOLDER
    if cluster > 1 and stores.single_log and not stores.cluster_log:
        return (f"{single} holds this data dir's event log (made by `tilts up` without --cluster), but "
                f"`tilts up --cluster {cluster}` keeps its log in {clustered}, which holds none: it would start "
                "a new, empty log that the read models do not match. Run `tilts up` without --cluster; a "
                "log is not moved into a cluster (docs/operations.md, \"The data dir\").")
    if cluster == 1 and stores.cluster_log and not stores.single_log:
        return (f"{clustered} holds this data dir's event log (made by `tilts up --cluster "
                f"{stores.cluster_nodes}`), but `tilts up` without --cluster keeps its log in {single}, which "
                f"holds none: it would start a new, empty log that the read models do not match. Run `tilts up "
                f"--cluster {stores.cluster_nodes}`; to serve this log from one server, `tilts backup DIR` it "
                "while it runs, then `tilts restore DIR --data-dir NEW` (docs/operations.md, \"Backup and restore\").")
    return None
