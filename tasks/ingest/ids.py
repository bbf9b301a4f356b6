"""Run-wide doc_id uniqueness. Pure: Arrow tables in, Arrow tables out.

Files are ingested in parallel, so uniqueness is settled afterwards over all of them: the first
record with an id, in input order (file order, then row), keeps it; every later one is rejected
as `duplicate_id`, its detail naming the record that kept the id.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def duplicate_positions(ids: list[pa.Array]) -> pa.Table:
    """Rows that lose their id: columns part, index (within its part), first_part, first_index.

    `ids` holds each partition's doc_id column, in input order.
    """
    parts = pa.chunked_array([pa.array([i] * len(a), pa.int32()) for i, a in enumerate(ids)], pa.int32())
    index = pa.chunked_array([pa.array(range(len(a)), pa.int64()) for a in ids], pa.int64())
    table = pa.table({"doc_id": pa.chunked_array(ids, pa.string()), "part": parts, "index": index})
    table = table.append_column("pos", pa.array(range(table.num_rows), pa.int64()))
    first = table.group_by("doc_id").aggregate([("pos", "min"), ("pos", "count")])
    first = first.filter(pc.greater(first["pos_count"], 1))
    empty = pa.table(
        {
            "part": pa.array([], pa.int32()),
            "index": pa.array([], pa.int64()),
            "first_part": pa.array([], pa.int32()),
            "first_index": pa.array([], pa.int64()),
        }
    )
    if first.num_rows == 0:
        return empty
    dup = table.join(first.select(["doc_id", "pos_min"]), "doc_id", join_type="inner")
    dup = dup.filter(pc.not_equal(dup["pos"], dup["pos_min"])).sort_by("pos")
    owners = pc.take(table, dup["pos_min"])
    return pa.table({"part": dup["part"], "index": dup["index"],
                     "first_part": owners["part"], "first_index": owners["index"]})  # fmt: skip
