"""Real nats-server and PostgreSQL processes on free loopback ports, for `tilts up` and the tests."""

from .nats_server import (JETSTREAM_SYNC_INTERVAL, ClusterPeer, EmbeddedNats, cluster_nodes, nats_server_binary,
                          start_cluster)
from .ports import free_port
from .postgres import SYSTEM_USER, EmbeddedPostgres, postgres_bin_dir
from .process import set_child_subreaper, wait_until

__all__ = [
    "JETSTREAM_SYNC_INTERVAL",
    "SYSTEM_USER",
    "ClusterPeer",
    "EmbeddedNats",
    "EmbeddedPostgres",
    "cluster_nodes",
    "free_port",
    "nats_server_binary",
    "postgres_bin_dir",
    "set_child_subreaper",
    "start_cluster",
    "wait_until",
]
