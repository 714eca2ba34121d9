"""Wild cluster bootstrap: equal to pyfixest's wildboottest and to a brute-force dummy-variable
bootstrap written here independently; test-inversion interval bounds where p crosses alpha."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.inference.bootstrap import WildBootstrap, rademacher_weights, wild_bootstrap_from_data

X_NAMES = ["x", "x2", "z"]


def make_panel(n_firms=36, n_years=7, seed=4, frac=0.85):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([(f, 2010 + t) for f in range(n_firms) for t in range(n_years)], columns=["firm", "year"])
    df = df.sample(frac=frac, random_state=seed).sort_values(["firm", "year"]).reset_index(drop=True)
    df = df[df.groupby("firm")["year"].transform("size") > 1].reset_index(drop=True)  # no singletons
    df["industry"] = np.array(["C13", "C27", "C35"])[df["firm"] % 3]
    df["industry_year"] = df["industry"] + "_" + df["year"].astype(str)
    a = rng.normal(size=n_firms)[df["firm"]]
    df["x"] = rng.uniform(size=len(df)) + 0.2 * a
    df["x2"] = df["x"] ** 2
    df["z"] = rng.normal(size=len(df))
    # heteroskedastic, cluster-correlated errors
    e = rng.normal(size=n_firms)[df["firm"]] * 0.5 + rng.normal(size=len(df))
    df["y"] = a + 0.5 * df["x"] - 0.3 * df["x2"] + 0.1 * df["z"] + 0.05 * (df["year"] - 2010) + e * (1 + a**2)
    return df


def brute_force(df, fes, param, null, reps, seed):
    """Textbook WCR on the full dummy-variable design: restricted OLS, y* = fitted_r + u_r * v_g,
    unrestricted OLS and CRV1 variance per draw (no algebraic shortcuts)."""
    cols = [df[X_NAMES].to_numpy(float), np.ones((len(df), 1))]
    for f in fes:
        cols.append(pd.get_dummies(df[f], drop_first=True, dtype=float).to_numpy())
    X = np.hstack(cols)
    # drop collinear dummy columns (keep a basis, slopes first)
    keep = []
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, keep + [j]]) == len(keep) + 1:
            keep.append(j)
    X = X[:, keep]
    y = df["y"].to_numpy(float)
    j = X_NAMES.index(param)
    clusters, g = np.unique(df["firm"].to_numpy(), return_inverse=True)
    G = len(clusters)

    XtXi = np.linalg.inv(X.T @ X)
    E = (g[None, :] == np.arange(G)[:, None]).astype(float)  # cluster indicator, G x N

    def ols_t(yy, b0):
        b = XtXi @ (X.T @ yy)
        u = yy - X @ b
        S = E @ (X * u[:, None])  # cluster scores, G x K
        V = XtXi @ (S.T @ S) @ XtXi
        return (b[j] - b0) / np.sqrt(V[j, j]), b

    t, _ = ols_t(y, null)
    Xr = np.delete(X, j, axis=1)
    br = np.linalg.lstsq(Xr, y - null * X[:, j], rcond=None)[0]
    fitted_r = Xr @ br + null * X[:, j]
    u_r = y - fitted_r
    v, _ = rademacher_weights(G, reps, seed)
    tb = np.array([ols_t(fitted_r + u_r * v[g, b], null)[0] for b in range(v.shape[1])])
    return t, tb, float(np.mean(np.abs(t) < np.abs(tb)))


@pytest.fixture(scope="module")
def panel():
    return make_panel()


def wb_for(df, fes):
    return WildBootstrap(df["y"].to_numpy(), df[X_NAMES].to_numpy(), X_NAMES, {f: df[f].to_numpy() for f in fes},
                         df["firm"].to_numpy())


@pytest.mark.parametrize("fes", [("firm", "year"), ("firm",), ("year",)])
def test_p_values_equal_pyfixest_wildboottest(panel, fes):
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    fit = pf.feols(f"y ~ x + x2 + z | {' + '.join(fes)}", data=panel, vcov={"CRV1": "firm"},
                   demeaner=MapDemeaner(fixef_tol=1e-12))
    wb = wb_for(panel, fes)
    for param in ("x2", "z"):
        ref, ref_tb = fit.wildboottest(param=param, reps=399, seed=11, return_bootstrapped_t_stats=True)
        t, tb = wb.draws(param, reps=399, seed=11)
        # bootstrap t's differ from wildboottest's by its own (N-1)/(N-K) factor only: compare ratios
        np.testing.assert_allclose(tb / t, np.asarray(ref_tb).ravel() / float(ref["t value"]), rtol=1e-8)
        r = wb.test(param, reps=399, seed=11, ci=False)
        assert r.p_value == pytest.approx(float(ref["Pr(>|t|)"]), abs=1e-12)
        assert r.t == pytest.approx(float(fit.tstat()[param]), rel=1e-8)  # same CRV1 t as the fit
        assert r.estimate == pytest.approx(float(fit.coef()[param]), rel=1e-9)


def test_equals_brute_force_with_non_nested_industry_year_effects(panel):
    """pyfixest's own wildboottest inverts a singular matrix here (industry-year dummies are
    collinear with firm dummies), so the reference is the brute-force bootstrap."""
    fes = ("firm", "industry_year")
    wb = wb_for(panel, fes)
    t, tb = wb.draws("x2", reps=199, seed=3, null=0.1)
    t_ref, tb_ref, p_ref = brute_force(panel, fes, "x2", 0.1, 199, 3)
    np.testing.assert_allclose(tb / t, tb_ref / t_ref, rtol=1e-7)
    assert wb.test("x2", reps=199, seed=3, null=0.1, ci=False).p_value == pytest.approx(p_ref, abs=1e-12)


def test_interval_bounds_are_where_brute_force_p_crosses_alpha(panel):
    fes = ("firm", "year")
    wb = wb_for(panel, fes)
    r = wb.test("z", reps=199, seed=8, alpha=0.1)
    assert r.ci_lower < r.estimate < r.ci_upper
    eps = 1e-4 * r.se
    for bound, outward in ((r.ci_lower, -1), (r.ci_upper, 1)):
        assert brute_force(panel, fes, "z", bound + outward * eps, 199, 8)[2] <= 0.1
        assert brute_force(panel, fes, "z", bound - outward * eps, 199, 8)[2] > 0.1
    # close to the CRV1 Wald interval with 30+ clusters, but not identical
    wald = 1.645 * r.se
    assert abs((r.ci_upper - r.ci_lower) / (2 * wald) - 1) < 0.5


def test_full_enumeration_with_few_clusters_matches_pyfixest():
    import pyfixest as pf

    df = make_panel(n_firms=8, n_years=6, seed=2, frac=1.0)
    fit = pf.feols("y ~ x + x2 + z | firm + year", data=df, vcov={"CRV1": "firm"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit.wildboottest(param="z", reps=999, seed=1)
    r = wb_for(df, ("firm", "year")).test("z", reps=999, seed=1, ci=False)
    assert r.full_enumeration and r.reps == 2**8
    assert r.p_value == pytest.approx(float(ref["Pr(>|t|)"]), abs=1e-12)


def test_seeded_and_deterministic(panel):
    a = wb_for(panel, ("firm", "year")).test("x2", reps=199, seed=5)
    b = wb_for(panel, ("firm", "year")).test("x2", reps=199, seed=5)
    c = wb_for(panel, ("firm", "year")).test("x2", reps=199, seed=6)
    assert a == b
    assert (a.p_value, a.ci_lower) != (c.p_value, c.ci_lower)


def test_clear_errors(panel):
    with pytest.raises(ValueError, match="one-way"):
        wild_bootstrap_from_data(panel, "y", X_NAMES, ["firm"], "firm+year", ["x2"], seed=1)
    with pytest.raises(KeyError, match="nope"):
        wild_bootstrap_from_data(panel, "y", X_NAMES, ["firm"], "firm", ["nope"], seed=1)
    with pytest.raises(KeyError, match="sector"):
        wild_bootstrap_from_data(panel, "y", X_NAMES, ["sector"], "firm", ["x2"], seed=1)
    with pytest.raises(ValueError, match="rademacher"):
        wb_for(panel, ("firm",)).test("x2", seed=1, weights="webb")
