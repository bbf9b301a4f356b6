import json
import re

import pytest
from typer.testing import CliRunner

from skillmix.cli import app
from tests.conftest import BAD_LINES, GOOD

runner = CliRunner()


def test_help_lists_every_command_by_its_name():
    out = runner.invoke(app, ["--help"], env={"COLUMNS": "120"}).output
    listed = [m.group(1) for m in re.finditer(r"^│ ([a-z][a-z-]*) ", out, re.M)]  # the first word of a row
    assert listed == [
        "ingest",
        "dedup",
        "quality",
        "skills",
        "tokens",
        "mix",
        "emit",
        "run",
        "demo",
        "sample-corpus",
        "train",
        "proxies",
        "skills-graph",
        "attribution",
        "attribution-skills",
        "status",
        "verify",
        "report",
        "law",
    ]
    assert "attribute" not in listed  # the old name still runs, hidden


def test_options_take_their_defaults_and_help_from_the_parameter_models():
    from schemas.config import IngestParams, MinHashParams

    out = " ".join(runner.invoke(app, ["dedup", "--help"], env={"COLUMNS": "200"}).output.split())
    assert f"{MinHashParams.model_fields['threshold'].description} [default: 0.8]" in out
    out = " ".join(runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"}).output.split())
    assert f"{IngestParams.model_fields['max_doc_bytes'].description} (MB) [default: 8.0]" in out


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_prints_per_reason_counts_and_writes_the_summary(planted, tmp_path):
    run = tmp_path / "run"
    res = runner.invoke(app, ["ingest", str(planted), "--run", str(run), "--max-doc-mb", "0.0019",
                              "--max-reject-fraction", "1", "--workers", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "rejected: malformed_json" in res.output and "counts add up" in res.output
    s = json.loads((run / "report" / "ingest" / "summary.json").read_text())
    assert s["rejected_by_reason"]["malformed_json"] == 2 and s["kept"] == len(GOOD)
    assert s["records"] == len(GOOD) + len(BAD_LINES)


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_bad_input_exits_2_with_the_message(tmp_path):
    (tmp_path / "x.xml").write_text("<a/>")
    res = runner.invoke(app, ["ingest", str(tmp_path / "x.xml"), "--run", str(tmp_path / "run")])
    assert res.exit_code == 2
    assert "x.xml: unknown format" in res.output


def test_a_preset_with_an_invalid_parameter_is_named(tmp_path):
    preset = tmp_path / "preset.yaml"
    preset.write_text("skills:\n  k: 1\n")
    res = runner.invoke(app, ["run", "x.jsonl", "--run", str(tmp_path / "r"), "--params", str(preset)])
    assert res.exit_code == 2 and "invalid --params option: skills.k: Input should be greater than or equal to 2" in (
        " ".join(res.output.split())
    )
    assert not (tmp_path / "r").exists()  # refused before anything ran


def test_invalid_option_is_named():
    res = runner.invoke(app, ["ingest", "a.jsonl", "--run", "r", "--max-reject-fraction", "2"])
    assert res.exit_code == 2 and "max_reject_fraction" in res.output


def test_sample_corpus_command(tmp_path):
    res = runner.invoke(app, ["sample-corpus", str(tmp_path), "--max-mb", "0.5"])
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "sample-corpus.jsonl").read_text().splitlines()
    assert len(lines) > 50 and "unchanged" not in res.output
    again = runner.invoke(app, ["sample-corpus", str(tmp_path), "--max-mb", "0.5"])
    assert "unchanged" in again.output


def test_error_text_with_brackets_is_printed_verbatim(tmp_path):
    res = runner.invoke(app, ["ingest", str(tmp_path / "draft[bold].jsonl"), "--run", str(tmp_path / "run")])
    assert res.exit_code == 2 and "draft[bold].jsonl: no such file or directory" in res.output  # not a style tag


@pytest.mark.usefixtures("prefect_harness")
def test_dedup_prints_counts_and_the_s_curve(planted, tmp_path):
    run = tmp_path / "run"
    assert runner.invoke(app, ["ingest", str(planted), "--run", str(run), "--max-reject-fraction", "1"]).exit_code == 0
    res = runner.invoke(app, ["dedup", "--run", str(run), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "dropped: near_duplicate" in res.output and "P(candidate)" in res.output
    kept = json.loads((run / "report" / "ingest" / "summary.json").read_text())["kept"]
    assert json.loads((run / "report" / "dedup" / "summary.json").read_text())["documents_in"] == kept


def test_dedup_option_errors_are_named(tmp_path):
    res = runner.invoke(app, ["dedup", "--run", str(tmp_path), "--bands", "4"])
    assert res.exit_code == 2 and "set both bands and rows" in res.output


@pytest.mark.usefixtures("prefect_harness")
def test_quality_then_skills_print_their_tables(planted, tmp_path):
    run = tmp_path / "run"
    assert runner.invoke(app, ["ingest", str(planted), "--run", str(run), "--max-reject-fraction", "1"]).exit_code == 0
    assert runner.invoke(app, ["dedup", "--run", str(run), "--workers", "1"]).exit_code == 0
    res = runner.invoke(app, ["quality", "--run", str(run), "--filters", "gopher", "--filter-source", "nosuch"])
    assert (
        res.exit_code == 2
        and "--filter-source nosuch: no documents of that source; the sources are" in " ".join(res.output.split())
        and not (run / "attributes" / "quality").exists()
    )  # refused before any work
    res = runner.invoke(app, ["quality", "--run", str(run), "--workers", "1"])
    assert res.exit_code == 0 and "counts add up: yes" in res.output and "statistics only" in res.output, res.output
    res = runner.invoke(app, ["skills", "--run", str(run), "--k", "2", "--workers", "1", "--label-field", "",
                              "--semdedup-eps", "0.01"])  # fmt: skip
    assert res.exit_code == 0, res.output
    s = json.loads((run / "report" / "skills" / "summary.json").read_text())
    assert f"skills {s['fingerprint']}" in res.output and "counts add up: yes" in res.output
    assert "SemDeDup: at cosine >= 0.990" in res.output and s["agreement"] is None and s["k"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "many"], "--k 'many': give a whole number of skills or 'auto'"),
        (["--k", "1"], "k: Input should be greater than or equal to 2"),
        (["--k", "3", "--group-by", "source"], "give k or group_by, not both"),
        (["--model", "/no/such/model"], "'/no/such/model' is not a local sentence-transformers directory"),
        (["--precision", "fp8"], "precision: Input should be 'fp32', 'bf16' or 'int8'"),
        (["--fine-k", "6", "--k", "8"], "fine_k 6 must be larger than k 8: fine clusters merge into skills"),
        (["--fine-k", "50", "--method", "kmeans"], "fine_k is for method merge"),
        (["--backend", "openvino", "--precision", "int8"], "precision int8 runs on backend onnx, not openvino"),
        (["--backend", "tensorrt"], "backend: Input should be 'torch', 'onnx' or 'openvino'"),
        (["--pooling", "mean"], "pooling: Input should be 'first' or 'chunks'"),
        (["--format-weight", "-1"], "format_weight: Input should be greater than or equal to 0"),
    ],
)
def test_skills_option_errors_are_named(tmp_path, args, message):
    res = runner.invoke(app, ["skills", "--run", str(tmp_path), *args])
    assert res.exit_code == 2 and message in " ".join(res.output.split()), res.output


def test_a_backend_whose_package_is_missing_is_refused_before_anything_runs(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    res = runner.invoke(app, ["skills", "--run", str(tmp_path / "run")])  # the default backend
    assert res.exit_code == 2 and "--backend openvino needs the package openvino" in " ".join(res.output.split())
    assert not (tmp_path / "run").exists()  # refused before Prefect, Dask or any embedding


def test_verify_exits_1_naming_the_problem(tmp_path):
    res = runner.invoke(app, ["verify", str(tmp_path / "manifest.json")])
    assert res.exit_code == 1 and "no such manifest" in res.output
    (tmp_path / "manifest.json").write_text('{"version": 1}')
    res = runner.invoke(app, ["verify", str(tmp_path / "manifest.json")])
    assert res.exit_code == 1 and "not a valid manifest" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mix", "--run", "r", "--method", "magic"], "method: Input should be 'natural'"),
        (["emit", "--run", "r", "--formats", "megatron,parquet"], "formats.1: Input should be 'megatron'"),
        (["tokens", "--run", "r", "--vocab-size", "10"], "vocab_size: Input should be greater than or equal to 300"),
        (["run", "x.jsonl", "--run", "r", "--k", "lots"], "--k 'lots'"),
        (["train", "m.json", "--out", "o", "--mixing", "doremi"], "--mixing 'doremi': one of static, skillit, aioli"),
        (["train", "m.json", "--out", "o", "--preset", "1b"], "preset: Input should be 'tiny', 'small' or '125m'"),
        (["train", "m.json", "--out", "o", "--graph", "nowhere.npy"], "--graph nowhere.npy: cannot read a .npy"),
        (["train", "m.json", "--out", "o", "--mixing", "skillit", "--eta", "0"], "eta: Input should be greater than 0"),
        (["train", "m.json", "--out", "o", "--target-skills", "a,b"], "--target-skills 'a,b': comma-separated"),
        (["train", "nowhere.json", "--out", "o"], "nowhere.json: no such manifest"),
        (["train", "r", "--out", "o"], "r: no shards; run `skillmix emit --run r` first"),
        (["proxies", "--run", "r", "--mixture", "stratified", "--seeds", "x"], "--seeds 'x': comma-separated integers"),
        (
            ["proxies", "--run", "r", "--mixture", "stratified"],
            "r: emit: no committed output; run `skillmix emit --run r`",
        ),
        (["mix", "--run", "r"], "r: tokens: no committed output; run `skillmix tokens --run r` first"),
        (["dedup", "--run", "r"], "r: ingest: no committed output; run `skillmix ingest INPUT... --run r` first"),
        (["status", "--run", "nowhere"], "nowhere: no such run directory"),
        (["run", "x.jsonl", "--run", "r", "--params", "nowhere.yaml"], "--params nowhere.yaml: cannot read it"),
        (["report", "--run", "r"], "r: no stage has reported yet (no r/report); run `skillmix run` or a stage first"),
        (
            ["attribution", "--run", "r", "--targets", "t.jsonl", "--projection", "dense"],
            "projection: Input should be 'sparse' or 'gaussian'",
        ),
        (["attribution", "--run", "r", "--targets", "nowhere.jsonl"], "--targets nowhere.jsonl: no such file"),
        (["attribute", "--run", "r", "--targets", "nowhere.jsonl"], "--targets nowhere.jsonl: no such file"),
        (
            ["attribution", "--run", "r", "--targets", "t.jsonl", "--sample", "10"],
            "attribution option: sample: Input should be greater than or equal to 50",
        ),
        (
            ["attribution", "--run", "r", "--targets", "t.jsonl", "--sample", "60", "--surrogates", "ridge,svm"],
            "attribution option: candidates.1: Input should be 'ridge', 'lightgbm' or 'mlp'",
        ),
        (["mix", "--run", "r", "--method", "dsdm", "--keep", "1.5"], "keep: Input should be less than or equal to 1"),
        (["mix", "--run", "r", "--select", "best"], "select: Input should be 'all' or 'dsdm'"),
        (["mix", "--run", "r", "--method", "bimix", "--design", "natural,dsdm,stratified"], "must be training-free"),
        (["mix", "--run", "r", "--method", "bimix", "--holdout", "temperature"], "holdout 'temperature' is not in"),
        (["mix", "--run", "r", "--method", "bimix", "--seeds", "a"], "--seeds 'a': comma-separated integers"),
        (["mix", "--run", "r", "--method", "law", "--family", "gp"], "family: Input should be 'auto'"),
        (["mix", "--run", "r", "--method", "law", "--runs", "2"], "runs: Input should be greater than or equal to 4"),
    ],
)
def test_stage_option_errors_are_named(args, message):
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and message in " ".join(res.output.split()), res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--filters", "gopher,nonsense"], "invalid quality option: unknown filter 'nonsense'"),
        (["--filters", "lang=en,klingon"], "unknown language code klingon"),
        (["--filters", "fineweb,fineweb.short_line_thr=3"], "fineweb.short_line_thr=3 is outside its range [0, 1]"),
        (["--filters", "c4.min_num_sentences=2"], "preset c4 is not among the filters"),
        (["--filter-source", "web"], "give --filters too"),
    ],
)
def test_bad_quality_rules_are_refused_by_name_before_any_work(tmp_path, args, message):
    for command in (["quality", "--run", str(tmp_path / "run")], ["run", "in.jsonl", "--run", str(tmp_path / "run")]):
        res = runner.invoke(app, [*command, *args])
        assert res.exit_code == 2 and message in " ".join(res.output.split()), res.output
        assert not (tmp_path / "run").exists()


def _swarm_files(tmp_path):
    import numpy as np

    from tasks.mixing import swarm

    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(3), 30)
    ids = [str(i) for i in range(30)]
    (tmp_path / "r.csv").write_bytes(swarm.to_csv("index", ids, ["a", "b", "c"], X))
    (tmp_path / "m.csv").write_bytes(swarm.to_csv("index", ids, ["loss"], 2 + np.exp(X @ [1.0, -1.0, 0.5])[:, None]))
    return tmp_path


def test_law_fit_predict_and_propose_on_swarm_csvs(tmp_path):
    d = _swarm_files(tmp_path)
    res = runner.invoke(app, ["law", "fit", "--ratios", str(d / "r.csv"), "--metrics", str(d / "m.csv"), "--out",
                              str(d / "law"), "--folds", "3"])  # fmt: skip
    out = " ".join(res.output.split())
    assert res.exit_code == 0 and "30 runs, 3 domains, 1 metrics; 3-fold" in out and "stack" in out, res.output
    res = runner.invoke(
        app, ["law", "predict", str(d / "law"), "--ratios", str(d / "r.csv"), "--out", str(d / "p.csv")]
    )
    assert res.exit_code == 0 and (d / "p.csv").read_text().startswith("index,loss\n0,")
    res = runner.invoke(app, ["law", "propose", str(d / "law"), "--out", str(d / "mix.json")])
    assert res.exit_code == 0 and json.loads((d / "mix.json").read_text())["method"] == "law", res.output


def test_law_fit_refuses_a_bad_csv_before_fitting(tmp_path):
    d = _swarm_files(tmp_path)
    (d / "m.csv").write_text((d / "m.csv").read_text().replace("\n3,", "\n2,"))
    res = runner.invoke(app, ["law", "fit", "--ratios", str(d / "r.csv"), "--metrics", str(d / "m.csv"), "--out",
                              str(d / "law")])  # fmt: skip
    assert res.exit_code == 2 and "line 5, column index: run id '2' repeats line 4" in " ".join(res.output.split())
    assert not (d / "law").exists()
