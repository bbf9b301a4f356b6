import pyarrow as pa

from tasks.ingest.ids import duplicate_positions


def test_first_occurrence_in_input_order_keeps_the_id():
    parts = [pa.array(["a", "b", "a"]), pa.array(["c", "b", "a"])]
    dups = duplicate_positions(parts).to_pylist()
    assert dups == [
        {"part": 0, "index": 2, "first_part": 0, "first_index": 0},
        {"part": 1, "index": 1, "first_part": 0, "first_index": 1},
        {"part": 1, "index": 2, "first_part": 0, "first_index": 0},
    ]


def test_unique_ids_have_no_duplicates():
    assert duplicate_positions([pa.array(["a"]), pa.array(["b"]), pa.array([], pa.string())]).num_rows == 0
