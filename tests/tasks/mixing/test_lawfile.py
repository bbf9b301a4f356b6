"""`skillmix law` over files: fit writes the law, its cross-validation and figure (the same bytes on a rerun);
predict and propose read them back; bad option combinations are refused by name."""

import json

import numpy as np
import pytest

from tasks.common.errors import InputError
from tasks.mixing import lawfile, swarm


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(3), 40)
    Y = np.column_stack([1 + np.exp(X @ [-2.0, 0.5, 1.0]), 2 + np.exp(X @ [1.0, -1.5, -0.2])])
    ids = [f"run{i}" for i in range(40)]
    (tmp_path / "r.csv").write_bytes(swarm.to_csv("run", ids, ["d_a", "d_b", "d_c"], X))
    (tmp_path / "m.csv").write_bytes(swarm.to_csv("run", ids, ["loss_a", "loss_b"], Y))
    (tmp_path / "t.csv").write_text("domain,tokens\nd_a,100\nd_b,50\nd_c,10\n")
    return tmp_path


def test_fit_writes_the_law_its_table_and_figure_and_a_rerun_the_same_bytes(files):
    out = files / "law"
    doc = lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(out), "auto", 4, 0)
    assert doc["own"] == [0, 1] and set(doc["cv"]) >= {"linear", "log-linear", "lightgbm", "bimix", "stack"}
    assert (out / "fit.png").read_bytes()[:4] == b"\x89PNG"
    lines = (out / "cv.csv").read_text().splitlines()
    assert lines[0] == "candidate,metric,spearman,mae" and len(lines) == 1 + 5 * 3
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(out), "auto", 4, 0)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_predict_writes_the_id_and_each_metric(files):
    out = files / "law"
    lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(out), "log-linear", 4, 0)
    assert lawfile.predict_files(str(out), str(files / "r.csv"), str(files / "p.csv")) == 40
    p = swarm.read(str(files / "p.csv"), "metrics")
    assert p.columns == ["loss_a", "loss_b"] and p.ids[0] == "run0"
    m = swarm.read(str(files / "m.csv"), "metrics")
    assert np.abs(p.values - m.values).max() < 0.01  # the planted law's own form


def test_propose_caps_a_domain_by_its_tokens_and_records_the_constraints(files):
    out = files / "law"
    lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(out), "log-linear", 4, 0)
    free = lawfile.propose_files(str(out), str(files / "free.json"), objective="loss_a")
    assert free.method == "law" and free.swarm.how == "exact" and sum(free.weights) == pytest.approx(1)
    capped = lawfile.propose_files(str(out), str(files / "mix.json"), objective="loss_a", tokens=str(files / "t.csv"),
                                   budget=100, max_repeat=2, prior="natural", kl=0.01)  # fmt: skip
    caps = np.array([1.0, 1.0, 0.2])
    assert (np.array(capped.weights) <= caps + 1e-6).all()
    s = capped.swarm
    assert s.constraints["caps"] == caps.tolist() and s.objective_metrics == ["loss_a"]
    assert set(s.predicted) == {"proposal", "stratified", "natural"}
    assert s.predicted["proposal"] <= s.predicted["natural"] + 1e-9
    assert json.loads((files / "mix.json").read_text())["swarm"]["how"] == "exact"
    assert [k.label for k in capped.skills] == ["d_a", "d_b", "d_c"] and capped.skills[2].tokens == 10


def test_propose_refuses_bad_combinations(files):
    out = files / "law"
    with pytest.raises(InputError, match="no law.json here"):
        lawfile.propose_files(str(out), str(files / "x.json"))
    lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(out), "linear", 4, 0)
    with pytest.raises(InputError, match="--tokens and --budget go together"):
        lawfile.propose_files(str(out), str(files / "x.json"), tokens=str(files / "t.csv"))
    with pytest.raises(InputError, match="--kl needs --prior"):
        lawfile.propose_files(str(out), str(files / "x.json"), kl=0.1)
    with pytest.raises(InputError, match="--objective 'nope'"):
        lawfile.propose_files(str(out), str(files / "x.json"), objective="nope")
    with pytest.raises(InputError, match="no mixture satisfies"):
        lawfile.propose_files(str(out), str(files / "x.json"), tokens=str(files / "t.csv"), budget=10_000)
    (files / "bad.csv").write_text("domain,tokens\nd_a,100\n")
    with pytest.raises(InputError, match="no row for domain 'd_b'"):
        lawfile.propose_files(str(out), str(files / "x.json"), tokens=str(files / "bad.csv"), budget=100)


def test_a_swarm_written_by_the_mix_stage_refits_to_the_same_law(files, tmp_path):
    """The CSVs hold the values the stage fitted (written exactly, read back unchanged): the same law.json."""
    r, m = swarm.read(str(files / "r.csv"), "ratios"), swarm.read(str(files / "m.csv"), "metrics")
    _, X, Y = swarm.join(r, m)
    doc, _, _ = lawfile.fit(X, Y, r.columns, m.columns, swarm.own_domains(r.columns, m.columns), "auto", 4, 0)
    again = lawfile.fit_files(str(files / "r.csv"), str(files / "m.csv"), str(tmp_path / "law"), "auto", 4, 0)
    again.pop("swarm")
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(doc))
