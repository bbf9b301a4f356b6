"""Swarm CSVs: every bad input refused before fitting, naming the file, the line and the column."""

import numpy as np
import pytest

from tasks.common.errors import InputError
from tasks.mixing import swarm

RATIOS = "run,a,b\nr1,0.5,0.5\nr2,0.25,0.75\nr3,1.0,0.0\n"
METRICS = "run,loss_a,loss_b\nr2,3.0,2.0\nr1,2.5,2.5\nr3,1.0,4.0\n"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("ratios", "name,a,b\nr1,0.5,0.5\n", r"line 1, column 1: the first column must be the run id.*got 'name'"),
    ("ratios", "run,a,b\nr1,0.5,0.5\nr1,0.4,0.6\n", r"line 3, column run: run id 'r1' repeats line 2"),
    ("ratios", "run,a,b\nr1,0.5,0.5\nr2,0.5,0.49\n", r"line 3, columns a..b: shares sum to 0.99, not 1 within 0.001"),
    ("ratios", "run,a,b\nr1,1.5,-0.5\n", r"line 2, column b: negative share -0.5"),
    ("metrics", "id,m\nr1,nan\n", r"line 2, column m: nan \(every value must be finite\)"),
    ("metrics", "index,m,n\nr1,1.0,\n", r"line 2, column n: empty value"),
    ("metrics", "run_id,m\nr1,abc\n", r"line 2, column m: 'abc' is not a number"),
    ("metrics", "run,m\nr1,1,2\n", r"line 2: 3 fields; the header has 2"),
    ("metrics", "run,m\n", r"no runs"),
    ("metrics", "", r"empty file"),
])  # fmt: skip
def test_a_bad_csv_is_named_with_its_file_line_and_column(tmp_path, kind, text, message):
    path = _write(tmp_path, f"{kind}.csv", text)
    with pytest.raises(InputError, match=f"{kind}.csv: {message}"):
        swarm.read(path, kind)


def test_runs_in_one_file_and_not_the_other_are_refused(tmp_path):
    r = swarm.read(_write(tmp_path, "r.csv", RATIOS), "ratios")
    m = swarm.read(_write(tmp_path, "m.csv", METRICS.replace("r3,", "r4,")), "metrics")
    with pytest.raises(InputError, match=r"m.csv: line 4: run 'r4' has no row in .*r.csv"):
        swarm.join(r, m)
    m = swarm.read(_write(tmp_path, "m.csv", "run,loss_a\nr1,1\nr2,2\n"), "metrics")
    with pytest.raises(InputError, match=r"r.csv: line 4: run 'r3' has no row in .*m.csv"):
        swarm.join(r, m)


def test_join_orders_metrics_by_the_ratios_ids_and_a_tolerance_renormalises(tmp_path):
    ids, _, Y = swarm.join(swarm.read(_write(tmp_path, "r.csv", RATIOS), "ratios"),
                           swarm.read(_write(tmp_path, "m.csv", METRICS), "metrics"))  # fmt: skip
    assert ids == ["r1", "r2", "r3"] and Y[:, 0].tolist() == [2.5, 3.0, 1.0]
    t = swarm.read(_write(tmp_path, "r2.csv", "run,a,b\nr1,0.502,0.5\n"), "ratios", sum_tol=0.005)
    assert t.values.sum() == pytest.approx(1.0)


def test_own_domains_match_regmix_names():
    domains = ["train_the_pile_arxiv", "train_the_pile_pile_cc", "train_the_pile_pubmed_central",
               "train_the_pile_pubmed_abstracts"]  # fmt: skip
    metrics = ["metric/the_pile_pile_cc_val_loss", "metric/the_pile_pubmed_abstracts_val_loss", "metric/other"]
    assert swarm.own_domains(domains, metrics) == [1, 3, None]
    assert swarm.own_domains(["skill_1", "skill_10"], ["skill_10_val_loss", "skill_1_val_loss"]) == [1, 0]


def test_a_written_swarm_reads_back_exactly(tmp_path):
    X = np.random.default_rng(0).dirichlet(np.ones(3), 5)
    path = tmp_path / "x.csv"
    path.write_bytes(swarm.to_csv("run", [f"r{i}" for i in range(5)], ["a", "b", "c"], X))
    back = swarm.read(str(path), "ratios")
    assert np.abs(back.values - X).max() < 1e-15 and back.ids == [f"r{i}" for i in range(5)]
