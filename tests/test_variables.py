import numpy as np
import pandas as pd
import pytest

from analysis.variables import financial_variables, firm_age


def test_financial_variables_by_hand():
    fin = pd.DataFrame({
        "firm": ["000001", "000001", "000001", "000002"], "year": [2018, 2019, 2021, 2019],
        "total_assets": [100.0, 200.0, 50.0, 0.0], "total_liabilities": [40.0, 50.0, 10.0, 1.0],
        "total_equity": [60.0, 150.0, -5.0, -1.0], "total_revenue": [80.0, 100.0, 30.0, 5.0],
        "net_profit": [10.0, 30.0, 2.0, 1.0]})
    v = financial_variables(fin)
    assert v["roa"].tolist()[:3] == [0.1, 0.15, 0.04]
    assert np.isnan(v.loc[3, "roa"])  # assets 0
    assert v.loc[1, "roe"] == pytest.approx(0.2) and np.isnan(v.loc[2, "roe"])  # negative equity
    assert v.loc[0, "size"] == pytest.approx(np.log(100.0))
    assert v.loc[1, "lev"] == pytest.approx(0.25)
    assert np.isnan(v.loc[0, "growth"])  # no previous year
    assert v.loc[1, "growth"] == pytest.approx(0.25)
    assert np.isnan(v.loc[2, "growth"])  # 2020 missing: never bridged across a gap


def test_duplicate_firm_years_rejected():
    fin = pd.DataFrame({"firm": ["1", "1"], "year": [2019, 2019], "total_assets": [1, 1],
                        "total_liabilities": [0, 0], "total_equity": [1, 1], "total_revenue": [1, 1],
                        "net_profit": [0, 0]})
    with pytest.raises(ValueError, match="one row per firm-year"):
        financial_variables(fin)


def test_firm_age():
    age = firm_age(pd.Series([2020, 2020, 2010]), pd.Series(["2010-05-01", "2020-01-01", "2015-01-01"]))
    assert age[0] == pytest.approx(np.log(11)) and age[1] == pytest.approx(0.0) and np.isnan(age[2])
