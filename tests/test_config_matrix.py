"""Every documented option works everywhere: the pipeline under other configurations.

Each case starts from a copy of the shared test run (tests/conftest.py) and changes the config, so
only the rules whose settings changed rerun. For each case: the run exits 0; no robustness model and
no specification is skipped or failed for a configuration reason (only for data the demo lacks); the
robustness baseline equals the main table's model number for number; every table note states the
standard errors that were fitted; the paper's sentences agree with the saved results.
(The same matrix for iid, HC1 and both clusterings runs at the function level in tests/test_models.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import deep_update, run_snakemake
from tests.test_readme import HOWTO_EDITS, HOWTO_EXTRAS, howto_run  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

#: Columns the demo panel does not have (a data reason, not a configuration reason).
ABSENT_IN_DEMO = {"dig_intangible"}
#: Measures the demo has but without variation: its report texts hold no service terms, so the text
#: service intensity is 0 everywhere (a data reason).
CONSTANT_IN_DEMO = {"serv_text"}

#: A smaller specification curve for the matrix runs (32 specifications: every dimension the curve's
#: code distinguishes still varies, outcome and Serv measure excepted).
SMALL_CURVE = {"robustness": {"speccurve": {"outcome": ["roa"], "serv": ["serv"]}}}

CASES = {
    # two-way clustering, MD&A section, Chinese output, mechanism off, an added control: the README's
    # how-to run (tests/test_readme.py) is this case, and its checks below run on that run
    "twoway_mdna_zh_nomech_age": {**HOWTO_EXTRAS, **HOWTO_EDITS, "output": {"language": "zh", "notebook": False}},
    # classical errors, mechanism on (its moderation link through the same model step; one outcome
    # keeps the rerun short) and short checks
    "iid": {"models": {"se": "iid"}, "output": {"notebook": False},
            "mechanism": {"outcomes": ["roa"], "mediation": {"reps": 99}},
            "checks": {"placebo_reps": 10, "permutation_reps": 10}},
}
HOWTO_CASE = "twoway_mdna_zh_nomech_age"
#: What the checks below read (and what it needs: the main models, robustness, the curve, the tables,
#: figures and mechanism results of the paper); the checks, audit and exports are not rebuilt here
MATRIX_TARGETS = ("paper/generated/paper.md", "paper/tables/baseline.md", "paper/tables/moderation.md",
                  "paper/tables/robustness.md", "paper/results/robustness/baseline.json",
                  "paper/results/speccurve/specifications.csv")


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, demo_run, tmp_path_factory):
    from tests.conftest import copy_run

    name = request.param
    if name == HOWTO_CASE:
        return name, request.getfixturevalue("howto_run")["run"], CASES[name]
    work = copy_run(demo_run, tmp_path_factory.mktemp(name) / "run")
    cfg = yaml.safe_load((work / "config" / "test_config.yaml").read_text(encoding="utf-8"))
    cfg = deep_update(deep_update(cfg, SMALL_CURVE), CASES[name])
    (work / "config" / "matrix.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    proc = run_snakemake(work, *MATRIX_TARGETS, configfile="config/matrix.yaml")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return name, work, CASES[name]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_nothing_is_skipped_for_a_configuration_reason(case):
    name, work, _ = case
    for path in sorted((work / "paper/results/robustness").glob("*.json")):
        est = _json(path)
        if est["status"] == "skipped" and "has no variation" in est["reason"]:
            assert est["reason"].split("measure ")[1].split(" has no")[0] in CONSTANT_IN_DEMO, (path, est)
        elif est["status"] == "skipped":
            assert set(eval(est["reason"].split("column(s) ")[1].split(" not in")[0])) <= ABSENT_IN_DEMO, (path, est)
        else:
            assert est["status"] == "ok", (path.name, est["reason"])
    spec = pd.read_csv(work / "paper/results/speccurve/specifications.csv")
    assert (spec["status"] == "ok").all(), spec.loc[spec["status"] != "ok", "reason"].unique()


def test_robustness_baseline_equals_the_main_table(case):
    name, work, change = case
    main = _json(work / "paper/results/baseline_roa.json")
    rb = _json(work / "paper/results/robustness/baseline.json")["baseline"]
    assert rb["names"] == main["names"]
    np.testing.assert_allclose(rb["coef"], main["coef"], rtol=1e-10)
    np.testing.assert_allclose(rb["se"], main["se"], rtol=1e-10)
    assert rb["extras"]["se"] == main["extras"]["se"]
    controls = change.get("models", {}).get("controls")
    if controls:
        assert set(controls) <= set(main["names"])


def test_every_note_states_the_standard_errors_fitted(case):
    name, work, change = case
    se = _json(work / "paper/results/baseline_roa.json")["extras"]["se"]
    zh = change.get("output", {}).get("language") == "zh"
    if se["type"] == "cluster" and len(se["cluster"]) == 2:
        phrase = "双向聚类" if zh else "clustered two-way"
    elif se["type"] == "iid":
        phrase = "普通（同方差）标准误" if zh else "Conventional (homoskedastic) standard errors"
    else:
        phrase = "聚类" if zh else "clustered by firm"
    for table in ("baseline", "moderation", "robustness"):
        md = (work / f"paper/tables/{table}.md").read_text(encoding="utf-8")
        assert phrase in md, (table, md[-600:])
    if se["type"] != "cluster" or len(se["cluster"]) == 2:  # no note may claim one-way firm clustering
        for table in ("baseline", "moderation", "robustness"):
            md = (work / f"paper/tables/{table}.md").read_text(encoding="utf-8")
            assert "clustered by firm in parentheses" not in md and "按企业聚类" not in md, table


def test_the_paper_says_what_the_results_show(case):
    name, work, change = case
    numbers = _json(work / "paper/generated/macros.json")
    paper = (work / "paper/generated/paper.md").read_text(encoding="utf-8")
    base = _json(work / "paper/results/baseline_roa.json")
    u = base["extras"]["utest"]
    verdict = numbers["BaselineMainUVerdict"]
    assert verdict in paper
    if change.get("output", {}).get("language") == "zh":
        assert ("拒绝单调关系、支持倒U型" in verdict) == (u["reject"] and u["slope_l"] > 0 > u["slope_h"])
    else:
        assert ("rejects a monotone relation" in verdict) == (u["reject"] and u["slope_l"] > 0 > u["slope_h"])
    se_text = numbers["BaselineMainSEText"]
    assert se_text in paper
    if base["extras"]["se"]["type"] == "iid":
        assert "homoskedastic" in se_text or "同方差" in se_text
    if len(base["extras"]["se"]["cluster"]) == 2:
        assert "two-way" in se_text or "双向" in se_text
    mod = _json(work / "paper/results/moderation_roa.json")
    flat = numbers["ModerationMainFlatteningText"]
    assert (mod["extras"]["flattening"]["p_one_sided"] < u["alpha"]) == ("not significant" not in flat and "不显著" not in flat)
    mech = change.get("mechanism", {}).get("enabled", True)
    assert ("MechOutcome" in numbers) == mech


def _dry_jobs(work: Path, configfile: str) -> dict[str, int]:
    import re

    proc = run_snakemake(work, "--dry-run", configfile=configfile)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    stats = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)
            if m.group(1) != "total"}


def test_only_the_specifications_whose_inputs_changed_rerun(demo_copy):
    """Moderator quantiles (the moderation table's points) rerun the main estimates, not the curve;
    a new sample choice reruns only the new shards of the curve."""
    cfg = yaml.safe_load((demo_copy / "config" / "test_config.yaml").read_text(encoding="utf-8"))
    q = deep_update(copy_cfg(cfg), {"models": {"moderator_quantiles": [0.25, 0.5, 0.75]}})
    (demo_copy / "config" / "q.yaml").write_text(yaml.safe_dump(q), encoding="utf-8")
    jobs = _dry_jobs(demo_copy, "config/q.yaml")
    assert "estimate" in jobs and "speccurve_shard" not in jobs, jobs
    more = deep_update(copy_cfg(cfg), {"robustness": {"speccurve": {"sample": ["all", "soe", "no2020"]}}})
    (demo_copy / "config" / "more.yaml").write_text(yaml.safe_dump(more), encoding="utf-8")
    jobs = _dry_jobs(demo_copy, "config/more.yaml")
    assert jobs.get("speccurve_shard") == 2 and jobs.get("speccurve") == 1, jobs  # roa__no2020, roe__no2020
    assert "estimate" not in jobs and "robustness_models" not in jobs, jobs


def copy_cfg(cfg: dict) -> dict:
    import copy

    return copy.deepcopy(cfg)
