"""Read views over the documents and their attributes: kept documents, embeddings, attribution scores."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas.refs import DatasetRef, PartitionRef
from schemas.tables import ATTRIBUTION, DEDUP, EMBEDDINGS, SKILLS
from tasks.common import views
from tasks.common.errors import InputError


def _part(tmp_path, name, table, kind) -> PartitionRef:
    pq.write_table(table, tmp_path / name)
    return PartitionRef(uri=str(tmp_path / name), num_rows=table.num_rows, table=kind)


@pytest.fixture
def parts(tmp_path):
    ids = ["a", "b", "c", "d"]
    docs = pa.table({"doc_id": ids, "text": ["t0", "t1", "t0", "t3"], "source": ["s"] * 4, "meta": [None] * 4,
                     "file": ["f"] * 4, "row": [1, 2, 3, 4], "n_bytes": [2] * 4})  # fmt: skip
    dedup = pa.table({"doc_id": ids, "exact_group": ["a", "b", "a", "d"], "near_cluster": ["a", "b", "a", "d"],
                      "keep": [True, True, False, True], "drop_reason": [None, None, "exact_duplicate", None]},
                     schema=DEDUP)  # fmt: skip
    skills = pa.table({"doc_id": ["a", "b", "d"], "skill": [0, 1, 0], "distance": [0.1, 0.2, 0.3],
                       "semantic_dup_of": [None, None, "a"]}, schema=SKILLS)  # fmt: skip
    return (_part(tmp_path, "docs.parquet", docs, "documents"), _part(tmp_path, "dedup.parquet", dedup, "dedup"),
            _part(tmp_path, "skills.parquet", skills, "skills"))  # fmt: skip


def test_kept_documents_are_the_rows_dedup_kept(parts):
    docs, dedup, _ = parts
    assert views.kept(docs, dedup, ["text"]).to_pydict() == {"doc_id": ["a", "b", "d"], "text": ["t0", "t1", "t3"]}


def test_kept_with_skill_also_drops_semantic_duplicates(parts):
    docs, dedup, skills = parts
    assert views.kept_with_skill(docs, dedup, skills, ["doc_id"]).to_pydict() == {"doc_id": ["a", "b"],
                                                                                  "skill": [0, 1]}  # fmt: skip


def test_attributes_of_other_documents_are_refused_by_name(parts, tmp_path):
    docs, _, _ = parts
    other = pa.table({"doc_id": ["x"], "exact_group": ["x"], "near_cluster": ["x"], "keep": [True],
                      "drop_reason": [None]}, schema=DEDUP)  # fmt: skip
    with pytest.raises(InputError, match="other.parquet does not align with .*docs.parquet; rerun `skillmix dedup`"):
        views.kept(docs, _part(tmp_path, "other.parquet", other, "dedup"))


def test_embedding_rows_take_global_positions_across_partitions(tmp_path):
    refs = []
    for k, rows in enumerate([[[1.0, 0.0], [0.0, 1.0]], [], [[0.6, 0.8]]]):
        t = pa.table({"doc_id": [f"d{k}{i}" for i in range(len(rows))], "digest": [b"x" * 16] * len(rows),
                      "embedding": pa.array(rows, pa.list_(pa.float32())), "tokens": [3] * len(rows)},
                     schema=EMBEDDINGS)  # fmt: skip
        refs.append(_part(tmp_path, f"e{k}.parquet", t, "embeddings") if rows else
                    PartitionRef(uri=str(tmp_path / "none"), num_rows=0, table="embeddings"))  # fmt: skip
    x = views.embedding_rows(refs, np.array([1, 2]))
    np.testing.assert_allclose(x, [[0.0, 1.0], [0.6, 0.8]])
    assert views.matrix(pa.array([], pa.list_(pa.float32()))).shape == (0, 1)


def test_scores_come_back_per_target_in_one_document_order(tmp_path):
    t = pa.table({"doc_id": ["a", "b", "a", "b"], "target": ["x", "x", "y", "y"], "score": [1.0, 2.0, 3.0, 4.0],
                  "scored_by": ["trak"] * 4},
                 schema=ATTRIBUTION)  # fmt: skip
    ds = DatasetRef(
        uri=str(tmp_path), table="attribution", partitions=(_part(tmp_path, "s.parquet", t, "attribution"),)
    )
    ids, scores = views.scores(ds)
    assert ids == ["a", "b"] and scores["x"].tolist() == [1.0, 2.0] and scores["y"].tolist() == [3.0, 4.0]
    bad = t.set_column(0, "doc_id", pa.array(["a", "b", "b", "a"]))
    ds = DatasetRef(
        uri=str(tmp_path), table="attribution", partitions=(_part(tmp_path, "t.parquet", bad, "attribution"),)
    )
    with pytest.raises(InputError, match="target 'y' scores other documents than 'x'"):
        views.scores(ds)
