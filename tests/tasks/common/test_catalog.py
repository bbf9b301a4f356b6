"""The run catalog: where each stage lives, its marker, the latest pointer, and refs rebuilt from the markers."""

import itertools
import json
from pathlib import Path

import pytest

from schemas.outputs import DedupMarker
from tasks.common import catalog, io
from tasks.common.errors import InputError

STAGES = ("ingest", "dedup", "quality", "skills", "tokens", "mix", "emit")


def test_every_stage_has_one_folder_a_marker_model_and_an_upstream():
    assert set(catalog.FOLDERS) == set(catalog.MARKERS) == set(catalog.STAGES)
    assert set(catalog.UPSTREAM) == set(catalog.STAGES) - {"ingest"}
    assert catalog.CHAIN == STAGES and all(catalog.UPSTREAM[b] == a for a, b in itertools.pairwise(STAGES))
    assert set(catalog.REFS.values()) == set(catalog.STAGES)
    assert catalog.places("r/", "dedup", "f") == {"run": "r", "fingerprint": "f", "out": "r/attributes/dedup/f",
                                                  "work": "r/work/dedup/f", "report": "r/report/dedup"}  # fmt: skip


def test_refs_rebuilt_from_the_markers_carry_the_chain_each_stage_consumed(staged):
    refs = [catalog.latest(staged.run, s) for s in STAGES]
    assert refs == list(staged[1:])
    manifest = refs[-1]
    assert manifest.mixture == refs[5] and manifest.mixture.tokens == refs[4]
    assert manifest.mixture.tokens.skills.quality == refs[2] and manifest.mixture.tokens.skills.quality.dedup == refs[1]
    assert manifest.mixture.tokens.skills.quality.documents == refs[0]
    assert [catalog.latest_fp(staged.run, s) for s in STAGES] == [r.fingerprint for r in refs]
    assert all(catalog.fingerprints(staged.run, s) == [r.fingerprint] for s, r in zip(STAGES, refs, strict=True))


def test_a_moved_run_directory_still_resolves_under_its_new_path(staged, tmp_path):
    moved = tmp_path / "moved"
    Path(staged.run).rename(moved)
    skills = catalog.latest(str(moved), "skills")
    assert skills.embeddings.uri.startswith(str(moved)) and skills.attributes.uri.startswith(str(moved))
    assert Path(skills.embeddings.partitions[0].uri).exists()


def test_only_a_committed_output_can_become_the_latest(staged):
    ref = catalog.latest(staged.run, "dedup")
    Path(ref.uri, "_SUCCESS").unlink()
    with pytest.raises(ValueError, match="not committed; only a committed dedup output can become the latest"):
        catalog.advance(ref)
    with pytest.raises(InputError, match=r"dedup: its latest output .* is not committed; run `skillmix dedup --run"):
        catalog.latest(staged.run, "dedup")


def test_a_missing_stage_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(InputError, match=r"attribution: no committed output; run `skillmix attribution --run .* "
                       "--targets FILE.jsonl` first"):  # fmt: skip
        catalog.latest(str(tmp_path), "attribution")
    with pytest.raises(InputError, match="no shards; run `skillmix emit --run"):
        catalog.manifest_of(str(tmp_path))
    with pytest.raises(InputError, match="nowhere.json: no such manifest"):
        catalog.manifest_of(str(tmp_path / "nowhere.json"))


def test_a_marker_of_another_version_fails_naming_the_directory(staged):
    ref = catalog.latest(staged.run, "dedup")
    marker = json.loads(Path(ref.uri, "_SUCCESS").read_text())
    del marker["inputs"]  # as an older skillmix wrote it
    Path(ref.uri, "_SUCCESS").write_text(json.dumps(marker))
    with pytest.raises(InputError, match=f"{ref.uri}: its _SUCCESS was written by another version"):
        catalog.load(ref.uri, DedupMarker)


def test_summaries_are_typed_and_the_manifest_path_resolves_from_a_run(staged):
    assert catalog.summary(staged.tokens).fingerprint == staged.tokens.fingerprint
    assert catalog.summary(staged.mixture).method == "stratified"
    assert catalog.summary(staged.manifest).token_budget > 0
    assert catalog.manifest_of(staged.run) == staged.manifest.manifest and io.exists(staged.manifest.manifest)
