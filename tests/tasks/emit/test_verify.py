"""`skillmix verify`: every shard's sha256 and counts against its manifest, the first mismatch named."""

import json
import shutil
from pathlib import Path

import pytest

from tasks.emit.verify import VerifyError, verify


def _copy(staged, tmp_path) -> tuple[Path, dict]:
    copy = tmp_path / "copy"
    shutil.copytree(staged.manifest.uri, copy)
    return copy, json.loads((copy / "manifest.json").read_text())


def test_an_intact_manifest_verifies_every_shard(staged):
    v = verify(staged.manifest.manifest)
    m = json.loads(Path(staged.manifest.manifest).read_text())
    assert v.shards == sum(len(s["shards"]) for s in m["skills"]) and v.skills == 3
    assert v.tokens["flat"] == v.tokens["megatron"] == sum(s["tokens_available"] for s in m["skills"])


def test_tampering_with_one_byte_fails_verify_naming_the_shard(staged, tmp_path):
    copy, m = _copy(staged, tmp_path)
    shard = m["skills"][1]["shards"][0]["path"] + (
        ".bin" if m["skills"][1]["shards"][0]["format"] == "megatron" else ""
    )
    data = bytearray((copy / shard).read_bytes())
    data[5] ^= 1
    (copy / shard).write_bytes(bytes(data))
    with pytest.raises(VerifyError, match=f"{shard} .skill 1.: sha256 differs"):
        verify(str(copy / "manifest.json"))
    (copy / shard).unlink()
    with pytest.raises(VerifyError, match=f"{shard}: missing"):
        verify(str(copy / "manifest.json"))


def test_a_path_escaping_the_manifest_directory_is_refused(staged, tmp_path):
    _, m = _copy(staged, tmp_path)
    m["tokenizer"]["path"] = "../../etc/passwd"
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(VerifyError, match="escapes the manifest's directory"):
        verify(str(tmp_path / "manifest.json"))


def test_no_manifest_or_not_a_manifest_is_named(tmp_path):
    with pytest.raises(VerifyError, match="no such manifest"):
        verify(str(tmp_path / "manifest.json"))
    (tmp_path / "manifest.json").write_text('{"version": 1}')
    with pytest.raises(VerifyError, match="not a valid manifest"):
        verify(str(tmp_path / "manifest.json"))
