"""The order in which `make build` hands ready nodes to dbt's threads.

dbt starts, among the nodes whose parents are done, the one nearest the
top of the graph (its depth level). The warehouse's build is a long chain
(raw -> OLTP -> the tax shares -> the normalized lines -> the monthly
item values -> fct_mrr -> the documents) beside many short branches, so
by depth the chain's next model, or the tests its children wait for,
queue behind shallow nodes that nothing waits for, while the threads are
busy.

Here a ready node's priority is the longest path from it to the end of
the build, each node on the path counted at its seconds in the latest
passing build (dbt's run_results.json, kept in
`target/build-state/node-seconds.json`); a node that has not run yet
counts as the median node. The chain goes first, the short branches fill
the threads beside it. Only the order changes: the same nodes run, each
after its parents and the tests they wait for.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import networkx as nx

SECONDS_FILE = "node-seconds.json"


def node_seconds(path: Path) -> dict[str, float]:
    """Each node's seconds in the builds recorded at `path`; empty when
    none is recorded or the file is unreadable."""
    try:
        seconds = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(seconds, dict):
        return {}
    return {
        str(node): float(value)
        for node, value in seconds.items()
        if isinstance(value, int | float) and value >= 0
    }


def record_seconds(path: Path, run_results: Path) -> None:
    """Add a passing build's node times (dbt's run_results.json) to
    `path`: the nodes it ran take their new times, the others keep theirs."""
    seconds = node_seconds(path)
    results = json.loads(run_results.read_text()).get("results") or []
    for result in results:
        if result.get("unique_id") and result.get("execution_time") is not None:
            seconds[result["unique_id"]] = round(float(result["execution_time"]), 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(seconds.items())), indent=0) + "\n")


def critical_path_scores(
    graph: nx.DiGraph, seconds: Mapping[str, float]
) -> dict[str, float]:
    """Each node's priority for dbt's queue (lower runs first): minus the
    seconds of the longest path from the node, itself included, to a node
    with no children."""
    known = [seconds[node] for node in graph.nodes if node in seconds]
    default = statistics.median(known) if known else 1.0
    remaining: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        after = max((remaining[child] for child in graph.successors(node)), default=0.0)
        remaining[node] = seconds.get(node, default) + after
    return {node: -length for node, length in remaining.items()}


@contextmanager
def longest_path_first(seconds: Mapping[str, float]) -> Iterator[None]:
    """dbt runs within this block hand ready nodes to threads by
    critical_path_scores instead of by depth."""
    from dbt.graph.queue import GraphQueue

    by_depth = GraphQueue._get_scores

    def by_longest_path(queue: GraphQueue, graph: nx.DiGraph) -> dict[str, float]:
        return critical_path_scores(graph, seconds)

    GraphQueue._get_scores = by_longest_path
    try:
        yield
    finally:
        GraphQueue._get_scores = by_depth
