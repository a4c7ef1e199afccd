from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from scribe_lakehouse.storage import delta

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("v", pa.float64()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("stamp", pa.int64()),
    ]
)


def _t(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def test_merge_only_changed_rows_and_noop(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    assert delta.ensure_table(uri, SCHEMA) is True
    assert delta.ensure_table(uri, SCHEMA) is False
    first = delta.merge_changed(
        uri,
        _t(
            [{"id": "a", "v": 1.0, "tags": ["x"], "stamp": 1}, {"id": "b", "v": None, "tags": [], "stamp": 1}]
        ),
        key="id",
        compare_exclude=("stamp",),
    )
    assert (first.inserted, first.updated, first.version) == (2, 0, 1)
    # same content, new stamp: nothing written
    same = delta.merge_changed(
        uri,
        _t(
            [{"id": "a", "v": 1.0, "tags": ["x"], "stamp": 2}, {"id": "b", "v": None, "tags": [], "stamp": 2}]
        ),
        key="id",
        compare_exclude=("stamp",),
    )
    assert same.version is None and delta.version(uri) == 1
    # one changed (list member), one new
    second = delta.merge_changed(
        uri,
        _t(
            [
                {"id": "a", "v": 1.0, "tags": ["y"], "stamp": 3},
                {"id": "c", "v": 2.0, "tags": None, "stamp": 3},
            ]
        ),
        key="id",
        compare_exclude=("stamp",),
    )
    assert (second.inserted, second.updated, second.version) == (1, 1, 2)
    cdf = delta.load_cdf(uri, starting_version=2).to_pylist()
    kinds = sorted((r["id"], r["_change_type"]) for r in cdf)
    assert kinds == [("a", "update_postimage"), ("a", "update_preimage"), ("c", "insert")]
    rows = {r["id"]: r for r in delta.read_arrow(uri).to_pylist()}
    assert rows["a"]["tags"] == ["y"] and rows["b"]["stamp"] == 1


def test_delete_missing(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    delta.ensure_table(uri, SCHEMA)
    delta.merge_changed(uri, _t([{"id": "a"}, {"id": "b"}]), key="id")
    stats = delta.merge_changed(uri, _t([{"id": "a"}]), key="id", delete_missing=True)
    assert stats.deleted == 1 and stats.inserted == 0
    assert delta.read_arrow(uri).column("id").to_pylist() == ["a"]


SOURCED = pa.schema(
    [pa.field("id", pa.string(), nullable=False), pa.field("v", pa.int64()), ("src", pa.string())]
)


def test_precedence_keeps_the_higher_ranked_source_whatever_the_merge_order(tmp_path: Path) -> None:
    ranks = delta.Precedence("src", {"early.json": 0, "late.json": 1})
    early = pa.Table.from_pylist([{"id": "a", "v": 1, "src": "early.json"}], schema=SOURCED)
    late = pa.Table.from_pylist([{"id": "a", "v": 2, "src": "late.json"}], schema=SOURCED)
    finals = []
    for order in ((early, late), (late, early)):
        uri = str(tmp_path / f"t{len(finals)}")
        delta.ensure_table(uri, SOURCED)
        stats = [delta.merge_changed(uri, batch, key="id", precedence=ranks) for batch in order]
        finals.append(delta.read_arrow(uri).to_pylist())
        assert sum(s.superseded for s in stats) == (0 if order[0] is early else 1)
    assert finals == [[{"id": "a", "v": 2, "src": "late.json"}]] * 2
    # the same source again (a re-landed file) replaces its own row; an unranked source ranks lowest
    again = pa.Table.from_pylist([{"id": "a", "v": 3, "src": "late.json"}], schema=SOURCED)
    assert delta.merge_changed(str(tmp_path / "t0"), again, key="id", precedence=ranks).updated == 1
    stray = pa.Table.from_pylist([{"id": "a", "v": 4, "src": "other.json"}], schema=SOURCED)
    lost = delta.merge_changed(str(tmp_path / "t0"), stray, key="id", precedence=ranks)
    assert (lost.superseded, lost.version) == (1, None)
    assert delta.read_arrow(str(tmp_path / "t0")).column("v").to_pylist() == [3]
