"""Shard formats: Megatron's .idx layout, the MDS shard layout, dtypes by vocabulary."""

import json
import struct

import numpy as np
import pytest

from tasks.emit import formats


def test_megatron_index_layout_for_a_known_case():
    idx = formats.megatron_idx(np.array([3, 2]), np.dtype(np.uint16))
    assert len(idx) == 34 + 12 * 2 + 8 * 3
    parsed = formats.read_megatron_idx(idx)
    assert parsed["lengths"].tolist() == [3, 2] and parsed["pointers"].tolist() == [0, 6]
    assert parsed["document_indices"].tolist() == [0, 1, 2] and parsed["dtype"] == np.uint16
    with pytest.raises(ValueError, match="magic"):
        formats.read_megatron_idx(b"x" * 40)
    assert formats.megatron_dtype(65499) == np.uint16 and formats.megatron_dtype(65500) == np.int32


def test_an_mds_shard_holds_its_samples_behind_offsets_and_its_config():
    samples = np.arange(12, dtype=np.uint16).reshape(3, 4)
    data = formats.mds_shard(samples, np.dtype(np.uint16))
    n = struct.unpack("<I", data[:4])[0]
    offsets = np.frombuffer(data, "<u4", n + 1, 4)
    assert n == formats.mds_samples(data) == 3 and offsets[-1] == len(data) and np.all(np.diff(offsets) == 8)
    config = json.loads(data[4 + 4 * (n + 1) : offsets[0]])
    assert config == formats.mds_config(np.dtype(np.uint16), 4)
    assert np.frombuffer(data, np.uint16, 12, int(offsets[0])).tolist() == list(range(12))
    entry = formats.mds_index_entry("shard.00000.mds", data, 3, np.dtype(np.uint16), 4)
    assert (
        entry["raw_data"] == {"basename": "shard.00000.mds", "bytes": len(data), "hashes": {}} and entry["samples"] == 3
    )


@pytest.mark.parametrize(("vocab", "flat"), [(300, np.uint16), (70_000, np.uint32)])
def test_flat_shards_use_the_smallest_dtype_that_holds_the_vocabulary(vocab, flat):
    assert formats.flat_dtype(vocab) == flat
