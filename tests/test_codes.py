import numpy as np
import pytest

from analysis.codes import normalize_firm, try_normalize_firm


@pytest.mark.parametrize("raw", [651, np.int64(651), 651.0, "651", " 651 ", "651.0", "000651",
                                 "000651.SZ", "000651.sz", "SZ000651"])
def test_every_spelling_of_a_code_gives_the_zero_padded_string(raw):
    assert normalize_firm(raw) == "000651"


@pytest.mark.parametrize("raw", ["", "abc", "1234567", 1234567, 651.5, "60A201", True, None, "6512.34"])
def test_non_codes_are_errors(raw):
    with pytest.raises(ValueError):
        normalize_firm(raw)
    assert try_normalize_firm(raw) is None
