"""From a tiny corpus to a manifest through the curate flow; the shards read back with real readers.

Megatron: megatron-core's own IndexedDataset and BlendedMegatronDatasetBuilder (installed by the test
extra). MDS: mosaicml-streaming needs torchvision, which has no CPU build here, so its shards are
checked byte by byte against the layout in ../shared/REFERENCE.md 3.2. Flat: numpy.
"""

import json
import struct
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tasks.emit.verify import verify
from tests.flows.pipeline import manifest_of, run_pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_manifest_verifies_and_weights_sum_to_one(built):
    path, m = manifest_of(built)
    assert verify(path).shards == sum(len(s["shards"]) for s in m["skills"]) == built[1].verified.shards
    assert sum(s["weight"] for s in m["skills"]) == pytest.approx(1.0)
    assert {s["format"] for k in m["skills"] for s in k["shards"]} == {"megatron", "mds", "flat"}
    for k in m["skills"]:
        assert k["tokens_to_draw"] == round(k["weight"] * m["token_budget"])
        assert k["repeat_factor"] == pytest.approx(k["tokens_to_draw"] / k["tokens_available"], abs=1e-6)
        assert len([s for s in k["shards"] if s["format"] == "megatron"]) >= 2  # shard_tokens bounds them


def tokens_by_doc(built):
    _, out = built
    return pq.read_table(out.manifest.mixture.tokens.attributes.partitions[0].uri).to_pydict()


def test_megatron_core_reads_our_shards_token_exact(built):
    from megatron.core.datasets.indexed_dataset import IndexedDataset, IndexedDatasetBuilder

    path, m = manifest_of(built)
    root = path.rsplit("/", 1)[0]
    t = tokens_by_doc(built)
    for k in m["skills"]:
        expected = [np.array(ids) for ids, s in zip(t["ids"], t["skill"], strict=True) if s == k["skill"]]
        read = []
        for shard in (s for s in k["shards"] if s["format"] == "megatron"):
            ds = IndexedDataset(f"{root}/{shard['path']}")
            read += [np.array(ds[i], copy=True) for i in range(len(ds))]  # copies: ds closes its mmap
        assert len(read) == len(expected) and all(np.array_equal(a, b) for a, b in zip(read, expected, strict=True))
    first = next(s for s in m["skills"][0]["shards"] if s["format"] == "megatron")
    ds = IndexedDataset(f"{root}/{first['path']}")
    builder = IndexedDatasetBuilder(f"{root}/../rebuilt.bin", dtype=np.uint16)  # megatron's own writer, same docs
    for i in range(len(ds)):
        builder.add_document(np.array(ds[i], copy=True), [len(ds[i])])
    builder.finalize(f"{root}/../rebuilt.idx")
    assert Path(f"{root}/../rebuilt.idx").read_bytes() == Path(f"{root}/{first['path']}.idx").read_bytes()
    assert Path(f"{root}/../rebuilt.bin").read_bytes() == Path(f"{root}/{first['path']}.bin").read_bytes()


class _Tok:  # what GPTDataset asks of a tokenizer on CPU
    def __init__(self, vocab, eod):
        self.vocab_size, self.eod, self.pad, self.unique_identifiers = vocab, eod, -1, {"class": "skillmix-test"}


def test_megatron_blend_from_our_data_args_draws_the_manifests_proportions(built):
    from megatron.core.datasets.blended_megatron_dataset_builder import BlendedMegatronDatasetBuilder
    from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig
    from megatron.core.datasets.utils import get_blend_from_list

    path, m = manifest_of(built)
    root = path.rsplit("/", 1)[0]
    pairs = Path(f"{root}/{m['trainer_inputs']['megatron_data_args']}").read_text().split()
    blend_list = [x if i % 2 == 0 else f"{root}/{x}" for i, x in enumerate(pairs)]
    cfg = GPTDatasetConfig(random_seed=1, sequence_length=m["seq_len"], blend=get_blend_from_list(blend_list),
                           split="1,0,0", path_to_cache=None, tokenizer=_Tok(m["tokenizer"]["vocab_size"],
                           m["tokenizer"]["eos_id"]), reset_position_ids=False, reset_attention_mask=False,
                           eod_mask_loss=False)  # fmt: skip
    n = 2000
    train, _, _ = BlendedMegatronDatasetBuilder(GPTDataset, [n, 0, 0], lambda: True, cfg).build()
    counts = np.bincount(train.dataset_index[:n], minlength=len(blend_list) // 2)
    prefix_skill = [int(p.split("/")[0].split("-")[1]) for p in pairs[1::2]]
    per_skill = np.bincount(prefix_skill, weights=counts, minlength=len(m["skills"])) / n
    want = np.array([s["weight"] for s in m["skills"]])
    assert np.abs(per_skill - want).max() <= 0.01, (per_skill, want)


def test_mds_shards_follow_the_streaming_layout_byte_for_byte(built):
    path, m = manifest_of(built)
    root = path.rsplit("/", 1)[0]
    t = tokens_by_doc(built)
    seq = m["seq_len"]
    for k in m["skills"]:
        stream = np.concatenate([ids for ids, s in zip(t["ids"], t["skill"], strict=True) if s == k["skill"]])
        mds = [s for s in k["shards"] if s["format"] == "mds"]
        index = json.loads(Path(f"{root}/skill-{k['skill']:05d}/mds/index.json").read_text())
        assert index["version"] == 2 and len(index["shards"]) == len(mds)
        samples = []
        for entry, shard in zip(index["shards"], mds, strict=True):
            data = Path(f"{root}/{shard['path']}").read_bytes()
            n = struct.unpack("<I", data[:4])[0]
            offsets = np.frombuffer(data, "<u4", n + 1, 4)
            config_end = int(offsets[0])
            config = json.loads(data[4 + 4 * (n + 1) : config_end])
            assert config == {key: entry[key] for key in config}  # the index entry repeats the shard's config
            assert config["column_encodings"] == [f"ndarray:uint16:{seq}"] and config["column_names"] == ["tokens"]
            assert np.all(np.diff(offsets) == 2 * seq) and offsets[-1] == len(data)
            assert entry["raw_data"] == {"basename": shard["path"].rsplit("/", 1)[1], "bytes": len(data), "hashes": {}}
            samples.append(np.frombuffer(data, np.uint16, n * seq, config_end).reshape(n, seq))
        got = np.concatenate(samples)
        assert np.array_equal(got.ravel(), stream[: got.size])  # documents concatenated, cut every seq_len
        assert len(stream) - got.size < seq  # only the tail shorter than one sample is left out


def test_flat_bins_read_back_with_numpy(built):
    path, m = manifest_of(built)
    root = path.rsplit("/", 1)[0]
    t = tokens_by_doc(built)
    for k in m["skills"]:
        flat = [s for s in k["shards"] if s["format"] == "flat"]
        got = np.concatenate([np.fromfile(f"{root}/{s['path']}", np.uint16) for s in flat])
        want = np.concatenate([ids for ids, s in zip(t["ids"], t["skill"], strict=True) if s == k["skill"]])
        assert np.array_equal(got, want) and got[-1] == m["tokenizer"]["eos_id"]


def test_same_inputs_and_seed_give_byte_identical_manifest_and_shards(built):
    tmp, out = built
    again = run_pipeline(tmp, "again")
    a_root, b_root = out.manifest.uri, again.manifest.uri
    a, b = Path(out.manifest.manifest).read_bytes(), Path(again.manifest.manifest).read_bytes()
    assert a == b
    m = json.loads(a)
    for k in m["skills"]:
        for s in k["shards"]:
            base = s["path"].rsplit("/", 1)[0]
            for name in s["sha256"]:
                assert Path(f"{a_root}/{base}/{name}").read_bytes() == Path(f"{b_root}/{base}/{name}").read_bytes()


def test_the_lineage_is_the_chain_of_refs_emit_consumed_not_the_runs_latest_pointers(built, tmp_path):
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.emit import emit
    from flows.ingest import ingest
    from schemas.config import EmitParams
    from tasks.common import catalog
    from tests.conftest import write_jsonl
    from tests.flows.pipeline import corpus, own_copy

    _, m = manifest_of(built)
    chain = built[1].manifest
    tokens = chain.mixture.tokens
    assert m["lineage"]["input"] == {"ingest": tokens.skills.quality.documents.fingerprint,
                                     "dedup": tokens.skills.quality.dedup.fingerprint,
                                     "quality": tokens.skills.quality.fingerprint}  # fmt: skip
    assert m["lineage"]["mixture"]["skills"] == tokens.skills.fingerprint
    assert m["lineage"]["tokens"]["fingerprint"] == tokens.fingerprint
    assert (m["lineage"]["mixture"]["fingerprint"], m["lineage"]["emit"]["fingerprint"]) == (
        chain.mixture.fingerprint,
        chain.fingerprint,
    )
    run = own_copy(built, tmp_path)
    other = write_jsonl(tmp_path / "other.jsonl", corpus(3, seed=5))
    newer = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))([str(other)], str(run))
    assert catalog.latest_fp(str(run), "ingest") == newer.fingerprint != tokens.skills.quality.documents.fingerprint
    mixture = catalog.latest(str(run), "mix")  # still the old chain: nothing after ingest was rerun
    out = emit.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))(
        str(run), mixture, EmitParams(seq_len=16, shard_tokens=1024, formats=("flat",))
    )
    lineage = json.loads(Path(out.manifest).read_text())["lineage"]
    assert lineage["input"]["ingest"] == tokens.skills.quality.documents.fingerprint  # what it packed, not the latest
