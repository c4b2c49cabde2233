from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "distance": rng.normal(1000, 200, n).round(1),
            "origin": rng.choice(["EWR", "JFK", "LGA"], n),
            "tailnum": [f"N{i:04d}" for i in range(n)],
            "delay": np.where(np.arange(n) % 10 == 0, np.nan, rng.normal(5, 10, n)),
        }
    )
