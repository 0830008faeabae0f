"""`tilts up` refuses to start an empty log beside the one the data dir holds in the other NATS layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.backup.restore import NATS_FOLDER
from tilts.log_layout import CLUSTER_FOLDER, SINGLE_FOLDER, Stores, find_stores, holds_log, layout_problem

DATA = Path("/srv/tilts")
NOTHING = Stores(single_log=False, cluster_log=False, cluster_nodes=0)
SINGLE = Stores(single_log=True, cluster_log=False, cluster_nodes=0)
CLUSTER = Stores(single_log=False, cluster_log=True, cluster_nodes=3)
BOTH = Stores(single_log=True, cluster_log=True, cluster_nodes=3)


def _stream(store: Path, name: str = "TILTS_EVENTS") -> None:
    """What nats-server writes for a stream (the config file is what tells a stream is there)."""
    folder = store / "jetstream" / "$G" / "streams" / name
    folder.mkdir(parents=True)
    (folder / "meta.inf").write_text("{}")


def test_a_cluster_on_a_data_dir_whose_log_is_single_node_is_refused_naming_both_folders() -> None:
    problem = layout_problem(DATA, 3, SINGLE)
    assert problem is not None
    assert f"{DATA / 'nats'} holds this data dir's event log" in problem
    assert f"{DATA / 'nats-cluster'}, which holds none" in problem
    assert "Run `tilts up` without --cluster" in problem


def test_a_single_server_on_a_data_dir_whose_log_is_clustered_is_refused_with_the_cluster_size_and_a_way_out() -> None:
    problem = layout_problem(DATA, 1, CLUSTER)
    assert problem is not None
    assert f"{DATA / 'nats-cluster'} holds this data dir's event log" in problem
    assert f"{DATA / 'nats'}, which holds none" in problem
    assert "Run `tilts up --cluster 3`" in problem and "tilts restore DIR --data-dir NEW" in problem


@pytest.mark.parametrize(("cluster", "stores"), [
    (1, NOTHING), (3, NOTHING),   # a new data dir
    (1, SINGLE), (3, CLUSTER),    # run the way the log was made
    (1, BOTH), (3, BOTH),         # the chosen layout has its log
])
def test_starting_the_way_the_log_was_made_or_on_a_new_data_dir_is_not_refused(cluster: int, stores: Stores) -> None:
    assert layout_problem(DATA, cluster, stores) is None


def test_a_store_holds_a_log_only_once_a_stream_is_in_it(tmp_path: Path) -> None:
    assert not holds_log(tmp_path / "absent")
    (tmp_path / "jetstream" / "$SYS" / "_js_" / "_meta_").mkdir(parents=True)  # a cluster node's raft state
    assert not holds_log(tmp_path)
    _stream(tmp_path)
    assert holds_log(tmp_path)


def test_find_stores_looks_at_both_layouts_and_counts_the_cluster_nodes(tmp_path: Path) -> None:
    assert find_stores(tmp_path) == NOTHING
    _stream(tmp_path / SINGLE_FOLDER)
    for node in ("n0", "n1", "n2"):
        (tmp_path / CLUSTER_FOLDER / node / "jetstream").mkdir(parents=True)
    assert find_stores(tmp_path) == Stores(single_log=True, cluster_log=False, cluster_nodes=3)
    _stream(tmp_path / CLUSTER_FOLDER / "n1")
    assert find_stores(tmp_path) == Stores(single_log=True, cluster_log=True, cluster_nodes=3)


def test_restore_writes_the_log_where_a_single_server_looks_for_it() -> None:
    assert NATS_FOLDER == SINGLE_FOLDER
