"""The one renderer: how values are written, and the sections of typed outputs the CLI and the report share."""

import pytest

from schemas.status import RunStatus, StageStatus
from tasks.common import catalog
from tasks.report import sections


@pytest.mark.parametrize(("value", "written"), [(1234567, "1,234,567"), (0.123456, "0.1235"), (True, "yes"),
                                                (False, "NO"), (None, ""), ("x", "x")])  # fmt: skip
def test_values_are_written_one_way(value, written):
    assert sections.text(value) == written


def test_stage_sections_show_the_counts_that_add_up(staged):
    ingest = sections.ingest(catalog.summary(staged.documents))
    outcome = dict((r[0], r[1]) for r in ingest.tables[0][2])
    assert outcome["input records"] == outcome["kept"] + sum(v for k, v in outcome.items() if k.startswith("rejected"))
    dedup = sections.dedup(catalog.summary(staged.dedup))
    assert dict(dedup.facts)["counts add up"] is True and "P(candidate)" in dict(dedup.facts)
    tokens = sections.tokens(catalog.summary(staged.tokens))
    assert tokens.tables[0][2][-1][:3] == ["total", 24, catalog.summary(staged.tokens).tokens]
    mix = sections.mixture(catalog.summary(staged.mixture))
    assert mix.tables[0][2][-1][-1] == 1.0  # the weights' sum
    budget = sections.manifest(catalog.summary(staged.manifest), staged.manifest.manifest)
    assert dict(budget.facts)["token budget"] == catalog.summary(staged.manifest).token_budget


def test_the_status_section_names_what_a_rerun_recomputes():
    st = RunStatus(
        run="r",
        rerun=["tokens"],
        rerun_why="tokens is interrupted (a rerun resumes it)",
        stages=[
            StageStatus(
                stage="tokens",
                folder="r/attributes/tokens",
                state="interrupted",
                why="w",
                latest="f",
                committed=[],
                uncommitted=[{"fingerprint": "f", "where": "r/x", "parts_committed": 2}],
            )
        ],
    )
    sec = sections.status(st)
    assert dict(sec.facts)["a rerun of `skillmix run` recomputes"] == "tokens"
    assert sec.tables[-1][2] == [["tokens", "f", 2, "r/x"]] and sec.notes == [st.rerun_why]


def test_a_swarm_laws_section_names_its_family_rounds_prediction_and_binding_constraints():
    from schemas.mixture import SwarmLaw

    s = SwarmLaw(family="auto", chosen={"m0": "stack", "m1": "lightgbm"}, cv={}, runs=48, folds=5,
                 cv_mean={"linear": {"spearman": 0.5, "mae": 0.1}, "stack": {"spearman": 0.9, "mae": 0.05}},
                 objective="mean", objective_metrics=["m0", "m1"], how="search", constraints={},
                 binding={"cap": ["skill_03"]}, predicted={"proposal": 6.5, "stratified": 6.6, "natural": 6.7},
                 rounds=[{"round": "r1", "runs": 32}, {"round": "r2", "runs": 16}])  # fmt: skip
    facts = dict(sections.swarm_facts(s))
    assert facts["law"] == "auto (per metric: lightgbm, stack), search optimum"
    assert facts["swarm runs (per round)"] == "32, 16" and facts["binding constraints"] == "cap: skill_03"
    assert facts["predicted objective (mean)"] == "proposal 6.5000, stratified 6.6000, natural 6.7000"


def test_an_attribution_with_a_surrogate_shows_its_agreement_with_trak_and_says_loudly_when_it_is_weak():
    from schemas.config import AttributionParams, SurrogateParams
    from schemas.outputs import AttributionSummary, SurrogateCandidate, SurrogateSummary, SurrogateTarget

    def target(rho):
        return SurrogateTarget(target="code", chosen="ridge", candidates={"ridge": SurrogateCandidate(
            rho=rho, folds=[rho] * 5, seconds=1.0)}, rho=rho, within_skill_rho=rho, skill_mean_rho=0.1,
            per_skill={"0": rho, "1": None}, weak=rho < 0.3)  # fmt: skip

    def summary(rho):
        sur = SurrogateSummary(sample=100, scored_by={"trak": 100, "surrogate": 900}, min_rho=0.3,
                               targets=[target(rho)], seconds={"trak": 60.0, "features": 1.0, "fit": 2.0,
                               "predict": 0.01}, docs_per_second={"trak": 1.7, "predict": 90000.0},
                               weak=rho < 0.3)  # fmt: skip
        return AttributionSummary(fingerprint="f", tokens_fingerprint="t", documents=1000, rows=1000,
                                  targets={"code": 3}, target_files=["c.jsonl"],
                                  params=AttributionParams(surrogate=SurrogateParams(sample=100)), seconds=70.0,
                                  sign="+", per_skill_mean={"code": {"0": 0.1, "1": 0.2}}, surrogate=sur)  # fmt: skip

    good = sections.attribution(summary(0.62))
    facts = dict(good.facts)
    assert facts["scored by TRAK (sample, stratified by skill)"] + facts["scored by the surrogate"] == 1000
    assert facts["documents/s: predict"] == 90000.0 and not good.notes
    agree = next(rows for caption, _, rows in good.tables if caption.startswith("surrogate vs TRAK, held-out"))
    assert agree == [["code", "ridge", "+0.620", "+0.620", "+0.100", "+0.620"]]
    per_skill = next(rows for caption, _, rows in good.tables if caption.endswith("per skill, held-out Spearman"))
    assert per_skill == [["0", "+0.620"], ["1", "-"]]
    weak = sections.attribution(summary(0.12))
    assert weak.notes and weak.notes[0].startswith("WEAK SURROGATE") and "code (+0.120)" in weak.notes[0]
