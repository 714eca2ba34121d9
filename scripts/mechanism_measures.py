"""Rule mechanism_measures: innovation indicators, U1, U2 and the coupling coordination degree."""
import pandas as pd

from analysis.coupling import coupling_measures
from analysis.mechanism import classify_stages, innovation_indicators
from analysis.workflow import run_rule, write_json


def main(smk, log):
    cfg = smk.params.mechanism
    panel = pd.read_parquet(smk.input.panel)
    ind = innovation_indicators(panel, pd.read_parquet(smk.input.rd), pd.read_parquet(smk.input.patents),
                                pd.read_parquet(smk.input.servitization),
                                pd.read_csv(smk.input.labels, dtype={"firm": str}))
    out, info = coupling_measures(ind, cfg)
    st = cfg["stages"]
    out["stage"] = classify_stages(panel.reset_index(drop=True), st["method"], share_thresholds=st["share_thresholds"],
                                   years_thresholds=st["years_thresholds"]).to_numpy()
    info["stages"] = dict(st)
    info["n_firm_years"] = int(len(out))
    info["non_missing"] = {c: int(out[c].notna().sum()) for c in
                           ["rd_intensity", "invention_applications", "invention_grants", "service_growth",
                            "new_service_lines", "u1", "u2", "ccd", "stage"]}
    log(f"{len(out)} firm-years; D for {info['n_with_ccd']}; U1 from {info['u1_indicators']}, "
        f"U2 from {info['u2_indicators']}")
    out.to_parquet(smk.output.measures, index=False)
    write_json(smk.output.info, info)


run_rule(main, snakemake)  # noqa: F821
