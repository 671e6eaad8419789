#!/usr/bin/env python
"""Seeded generator for the AutoML Canvas sample datasets.

Writes three small, synthetic, commit-sized CSV files:

* ``loans.csv``        - binary classification, target ``approved`` (yes/no),
                         with a deliberately planted gender bias.
* ``churn.csv``        - binary classification, target ``churned`` (Yes/No).
* ``house_prices.csv`` - regression, target ``price``.

Everything is derived from ``numpy.random.default_rng`` so a given seed
always produces byte-identical files.  Usage::

    python sample_data/generate.py [--out DIR] [--seed N]

or, from Python::

    from sample_data.generate import generate_all, make_loans
    paths = generate_all(Path("some/dir"), seed=20240601)
    df = make_loans(2000, seed=20240601)

The data is entirely made up by this script (no real people, customers or
houses); see ``sample_data/README.md`` for a description of every column and
of the effects that are planted in each file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CHURN_ROWS",
    "DATASETS",
    "DEFAULT_SEED",
    "HOUSE_ROWS",
    "LOANS_FEMALE_PENALTY",
    "LOANS_ROWS",
    "generate_all",
    "main",
    "make_churn",
    "make_house_prices",
    "make_loans",
]

DEFAULT_SEED = 20240601

LOANS_ROWS = 2000
CHURN_ROWS = 3000
HOUSE_ROWS = 1500

#: Direct log-odds penalty applied to ``gender == "female"`` in the loan
#: approval model (the planted bias).  Everything else in the approval model
#: is a legitimate credit-risk factor.
LOANS_FEMALE_PENALTY = -1.2

# Per-dataset salts so that the three files use independent random streams
# even though they share one user-facing seed.
_SALT = {"loans": 101, "churn": 202, "house_prices": 303}

#: Machine-readable description of each file (kept in sync with README.md).
DATASETS: dict[str, dict] = {
    "loans": {
        "filename": "loans.csv",
        "rows": LOANS_ROWS,
        "task": "binary_classification",
        "target": "approved",
        "positive_label": "yes",
        "id_column": "application_id",
        "sensitive_columns": ["gender"],
        "date_columns": ["applied_on"],
        "columns": [
            "application_id",
            "age",
            "gender",
            "income",
            "loan_amount",
            "term_months",
            "credit_score",
            "employment_type",
            "years_employed",
            "existing_debt",
            "region",
            "purpose",
            "applied_on",
            "approved",
        ],
    },
    "churn": {
        "filename": "churn.csv",
        "rows": CHURN_ROWS,
        "task": "binary_classification",
        "target": "churned",
        "positive_label": "Yes",
        "id_column": "customer_id",
        "sensitive_columns": [],
        "date_columns": ["signup_date"],
        "columns": [
            "customer_id",
            "tenure_months",
            "contract",
            "monthly_charges",
            "total_charges",
            "internet_service",
            "payment_method",
            "support_calls",
            "senior_citizen",
            "partner",
            "signup_date",
            "churned",
        ],
    },
    "house_prices": {
        "filename": "house_prices.csv",
        "rows": HOUSE_ROWS,
        "task": "regression",
        "target": "price",
        "positive_label": None,
        "id_column": "house_id",
        "sensitive_columns": [],
        "date_columns": ["listed_on"],
        "columns": [
            "house_id",
            "square_feet",
            "bedrooms",
            "bathrooms",
            "lot_size",
            "year_built",
            "neighborhood",
            "condition",
            "has_garage",
            "distance_to_center_km",
            "listed_on",
            "price",
        ],
    },
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _rng(name: str, seed: int) -> np.random.Generator:
    if int(seed) < 0:
        raise ValueError("seed must be a non-negative integer")
    return np.random.default_rng([_SALT[name], int(seed)])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _unique_ids(rng: np.random.Generator, n: int, prefix: str, width: int) -> list[str]:
    """``n`` unique, non-sequential IDs such as ``A-000123`` (sorted ascending)."""
    space = 10**width - 1
    if n > space:
        raise ValueError(f"cannot draw {n} unique ids with width {width}")
    numbers = np.sort(rng.choice(np.arange(1, space + 1), size=n, replace=False))
    return [f"{prefix}-{int(x):0{width}d}" for x in numbers]


def _random_dates(rng: np.random.Generator, n: int, start: str, end: str) -> np.ndarray:
    """Uniform random calendar dates in ``[start, end]`` as ISO strings."""
    start_d = np.datetime64(start, "D")
    span = int((np.datetime64(end, "D") - start_d).astype(int)) + 1
    offsets = rng.integers(0, span, size=n)
    return (start_d + offsets.astype("timedelta64[D]")).astype(str)


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    labels = list(options)
    probs = np.array([options[k] for k in labels], dtype=float)
    return rng.choice(np.array(labels, dtype=object), size=n, p=probs / probs.sum())


def _lookup(values: np.ndarray, table: dict[str, float]) -> np.ndarray:
    return np.array([table[v] for v in values], dtype=float)


# --------------------------------------------------------------------------
# loans
# --------------------------------------------------------------------------
def make_loans(n: int = LOANS_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Loan applications with binary target ``approved`` ("yes"/"no").

    Approval is driven by credit score, debt-to-income, loan-to-income,
    employment type and years employed -- plus a *direct* penalty of
    ``LOANS_FEMALE_PENALTY`` log-odds for female applicants (planted bias).
    ``years_employed`` is ~5% missing and ``region`` ~1% missing.
    """
    rng = _rng("loans", seed)

    application_id = _unique_ids(rng, n, "A", 6)
    age = np.clip(np.round(rng.normal(41, 12, n)), 21, 75).astype(int)
    gender = _pick(rng, {"female": 0.47, "male": 0.49, "non-binary": 0.04}, n)

    employment_type = _pick(
        rng,
        {"Salaried": 0.60, "Self-employed": 0.15, "Contract": 0.12,
         "Part-time": 0.07, "Unemployed": 0.06},
        n,
    )
    # Years with the current employer: bounded by working life, 0 if unemployed.
    working_life = np.maximum(age - 18, 0)
    years_true = np.minimum(rng.gamma(2.0, 3.5, n), working_life)
    years_true = np.where(employment_type == "Unemployed", 0.0, years_true)
    years_true = np.round(years_true, 1)

    base_income = _lookup(
        employment_type,
        {"Salaried": 62000, "Self-employed": 66000, "Contract": 54000,
         "Part-time": 29000, "Unemployed": 14000},
    )
    income_sd = np.where(employment_type == "Self-employed", 0.55, 0.38)
    age_factor = np.exp(0.014 * (np.minimum(age, 52) - 35))
    income = base_income * age_factor * np.exp(rng.normal(0, 1, n) * income_sd)
    income = np.clip(np.round(income, -2), 6000, 450000)

    credit_score = (
        655
        + 1.1 * (age - 40)
        + 28 * np.log(income / 55000)
        + 2.0 * np.minimum(years_true, 10)
        + rng.normal(0, 62, n)
    )
    credit_score = np.clip(np.round(credit_score), 300, 850).astype(int)

    # Existing debt (total outstanding, not counting this loan): lower credit
    # scores go with heavier debt loads.
    debt_ratio = np.exp(rng.normal(np.log(0.22), 0.75, n)) * np.exp(-(credit_score - 660) / 250)
    debt_ratio = np.where(rng.random(n) < 0.08, 0.0, debt_ratio)  # some debt-free
    existing_debt = np.round(np.clip(debt_ratio, 0, 1.5) * income, -2)

    purpose = _pick(
        rng,
        {"Debt consolidation": 0.30, "Car": 0.20, "Home improvement": 0.18,
         "Business": 0.12, "Education": 0.11, "Medical": 0.09},
        n,
    )
    median_amount = _lookup(
        purpose,
        {"Debt consolidation": 15000, "Car": 18000, "Home improvement": 22000,
         "Business": 30000, "Education": 12000, "Medical": 6000},
    )
    loan_amount = median_amount * np.sqrt(income / 60000) * np.exp(rng.normal(0, 0.45, n))
    loan_amount = np.clip(np.round(loan_amount / 500) * 500, 1000, 150000)

    # Bigger loans tend to get longer terms.
    size_score = np.log(loan_amount / 15000) + rng.normal(0, 0.5, n)
    term_months = np.select(
        [size_score < -0.9, size_score < -0.3, size_score < 0.3, size_score < 0.9, size_score < 1.4],
        [12, 24, 36, 48, 60],
        default=72,
    ).astype(int)

    region = _pick(rng, {"North": 0.22, "South": 0.26, "East": 0.18, "West": 0.21, "Central": 0.13}, n)
    applied_on = _random_dates(rng, n, "2023-01-01", "2024-12-31")

    # ---- approval model ---------------------------------------------------
    dti = existing_debt / income
    lti = loan_amount / income
    employment_effect = _lookup(
        employment_type,
        {"Salaried": 0.45, "Self-employed": 0.0, "Contract": -0.25,
         "Part-time": -0.45, "Unemployed": -1.6},
    )
    logit = (
        0.55
        + 0.022 * (credit_score - 660)
        - 2.0 * (dti - 0.25)
        - 1.4 * (np.clip(lti, 0, 3.0) - 0.30)
        + employment_effect
        + 0.07 * (np.minimum(years_true, 10) - 4)
        - 0.006 * (term_months - 36)
        + np.where(gender == "female", LOANS_FEMALE_PENALTY, 0.0)  # planted bias
        + rng.normal(0, 0.4, n)  # unobserved factors
    )
    approved = np.where(rng.random(n) < _sigmoid(logit), "yes", "no")

    # ---- missing values (after the target was decided) ---------------------
    years_employed = years_true.astype(float)
    years_employed[rng.random(n) < 0.05] = np.nan
    region = region.astype(object)
    region[rng.random(n) < 0.01] = None

    return pd.DataFrame(
        {
            "application_id": application_id,
            "age": age,
            "gender": gender,
            "income": income.astype(int),
            "loan_amount": loan_amount.astype(int),
            "term_months": term_months,
            "credit_score": credit_score,
            "employment_type": employment_type,
            "years_employed": years_employed,
            "existing_debt": existing_debt.astype(int),
            "region": region,
            "purpose": purpose,
            "applied_on": applied_on,
            "approved": approved,
        }
    )


# --------------------------------------------------------------------------
# churn
# --------------------------------------------------------------------------
def make_churn(n: int = CHURN_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Telecom customers with binary target ``churned`` ("Yes"/"No"), ~25% Yes.

    Churn is driven by contract type, tenure, monthly charges, fiber internet,
    electronic-check payment and support calls, plus noise.  Brand-new
    customers (tenure 0) have a blank ``total_charges``, like real telco data.
    """
    rng = _rng("churn", seed)
    snapshot = np.datetime64("2024-12-31", "D")

    customer_id = _unique_ids(rng, n, "C", 6)
    contract = _pick(rng, {"Month-to-month": 0.55, "One year": 0.21, "Two year": 0.24}, n)

    # Tenure: month-to-month customers skew new, two-year ones skew old.
    tenure_mean = _lookup(contract, {"Month-to-month": 14.0, "One year": 34.0, "Two year": 52.0})
    tenure = rng.gamma(2.0, tenure_mean / 2.0)
    tenure = np.clip(np.round(tenure), 1, 72).astype(int)
    # A handful of customers signed up this month: tenure 0, no bill yet.
    new_idx = rng.choice(n, size=max(3, n // 400), replace=False)
    tenure[new_idx] = 0

    internet_service = _pick(rng, {"Fiber optic": 0.44, "DSL": 0.34, "No": 0.22}, n)
    base_charge = _lookup(internet_service, {"Fiber optic": 82.0, "DSL": 55.0, "No": 21.0})
    extras = rng.gamma(2.0, 4.0, n) * (internet_service != "No")
    monthly_charges = np.round(np.clip(base_charge + extras + rng.normal(0, 6, n), 18.25, 118.75), 2)

    # Lifetime billing: roughly tenure x monthly, with past price changes.
    drift = np.exp(rng.normal(0, 0.06, n))
    total_charges = np.round(tenure * monthly_charges * drift, 2)
    total_charges = np.where(tenure == 0, np.nan, total_charges)

    payment_method = _pick(
        rng,
        {"Electronic check": 0.34, "Mailed check": 0.22,
         "Bank transfer (automatic)": 0.22, "Credit card (automatic)": 0.22},
        n,
    )
    support_rate = 0.8 + 0.5 * (internet_service == "Fiber optic")
    support_calls = rng.poisson(support_rate)
    senior_citizen = (rng.random(n) < 0.16).astype(int)
    partner = np.where(rng.random(n) < 0.48, "Yes", "No")

    signup_days = np.round(tenure * 30.44).astype(int) + rng.integers(0, 28, n)
    signup_date = (snapshot - signup_days.astype("timedelta64[D]")).astype(str)

    logit = (
        -1.12
        + _lookup(contract, {"Month-to-month": 0.9, "One year": -0.6, "Two year": -1.9})
        - 0.9 * np.log1p(tenure / 6.0)
        + 0.022 * (monthly_charges - 65)
        + 0.35 * (internet_service == "Fiber optic")
        + 0.45 * (payment_method == "Electronic check")
        + 0.42 * support_calls
        + 0.30 * senior_citizen
        - 0.25 * (partner == "Yes")
        + rng.normal(0, 0.5, n)  # unobserved factors
    )
    churned = np.where(rng.random(n) < _sigmoid(logit), "Yes", "No")

    return pd.DataFrame(
        {
            "customer_id": customer_id,
            "tenure_months": tenure,
            "contract": contract,
            "monthly_charges": monthly_charges,
            "total_charges": total_charges,
            "internet_service": internet_service,
            "payment_method": payment_method,
            "support_calls": support_calls.astype(int),
            "senior_citizen": senior_citizen,
            "partner": partner,
            "signup_date": signup_date,
            "churned": churned,
        }
    )


# --------------------------------------------------------------------------
# house prices
# --------------------------------------------------------------------------
_NEIGHBORHOODS = {
    # name: (share, price multiplier, typical distance to center in km)
    "Downtown": (0.10, 1.30, 1.5),
    "Old Town": (0.11, 1.18, 3.0),
    "Riverside": (0.14, 1.12, 5.0),
    "Hillcrest": (0.12, 1.25, 8.0),
    "Lakeview": (0.12, 1.20, 12.0),
    "Maple Grove": (0.16, 1.00, 10.0),
    "Oak Park": (0.14, 0.92, 15.0),
    "Westfield": (0.11, 0.80, 22.0),
}
_CONDITIONS = {"Poor": (0.08, 0.78), "Fair": (0.24, 0.92), "Good": (0.48, 1.00), "Excellent": (0.20, 1.12)}


def make_house_prices(n: int = HOUSE_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Home sales with regression target ``price`` (USD).

    Price is a nonlinear function of size, neighborhood, condition, age,
    distance to the center, lot size, garage and listing date, times
    multiplicative log-normal noise.  ``lot_size`` is ~3% missing.
    """
    rng = _rng("house_prices", seed)

    house_id = _unique_ids(rng, n, "H", 5)
    neighborhood = _pick(rng, {k: v[0] for k, v in _NEIGHBORHOODS.items()}, n)
    hood_mult = _lookup(neighborhood, {k: v[1] for k, v in _NEIGHBORHOODS.items()})
    hood_dist = _lookup(neighborhood, {k: v[2] for k, v in _NEIGHBORHOODS.items()})

    distance = np.round(np.clip(hood_dist * np.exp(rng.normal(0, 0.3, n)), 0.2, 45), 1)

    # Older stock near the center, newer subdivisions further out.
    year_built = 1895 + 130 * _sigmoid(rng.normal(0.4, 1.2, n) + (distance - 8) / 7) + rng.normal(0, 6, n)
    year_built = np.clip(np.round(year_built), 1890, 2024).astype(int)

    square_feet = np.exp(rng.normal(np.log(1750), 0.33, n)) * (1 + 0.01 * (distance - 8))
    square_feet = np.clip(np.round(square_feet / 10) * 10, 550, 6500).astype(int)

    bedrooms = np.clip(np.round(square_feet / 650 + rng.normal(0, 0.6, n)), 1, 7).astype(int)
    bathrooms = np.clip(np.round((bedrooms * 0.6 + rng.normal(0.3, 0.45, n)) * 2) / 2, 1.0, 5.0)

    lot_size = np.exp(rng.normal(np.log(3500), 0.45, n)) * (1 + distance / 6)
    lot_size = np.clip(np.round(lot_size / 50) * 50, 1200, 90000)

    condition = _pick(rng, {k: v[0] for k, v in _CONDITIONS.items()}, n)
    # Newer homes are rarely in poor condition.
    upgrade = (year_built > 2005) & (condition == "Poor")
    condition = np.where(upgrade, "Good", condition).astype(object)
    cond_mult = _lookup(condition, {k: v[1] for k, v in _CONDITIONS.items()})

    p_garage = _sigmoid(0.25 * (distance - 4) + 0.02 * (year_built - 1960))
    has_garage = np.where(rng.random(n) < p_garage, "yes", "no")

    listed_on = _random_dates(rng, n, "2023-01-01", "2024-12-31")
    years_since_2023 = (
        (np.array(listed_on, dtype="datetime64[D]") - np.datetime64("2023-01-01", "D")).astype(int) / 365.25
    )

    age_at_sale = 2024 - year_built
    # U-shaped age effect: new builds and historic homes carry a premium.
    age_mult = 1.10 * np.exp(-age_at_sale / 15) + 0.90 + 0.18 * _sigmoid((age_at_sale - 95) / 6)

    log_price = (
        np.log(380.0)
        + 0.88 * np.log(square_feet)
        + np.log(hood_mult)
        + np.log(cond_mult)
        + np.log(age_mult)
        - 0.012 * distance
        + 0.08 * np.log(lot_size / 5000)
        + 0.06 * (has_garage == "yes")
        + 0.02 * (bathrooms - bedrooms * 0.6)
        + 0.045 * years_since_2023  # market appreciation
    )
    price = np.exp(log_price + rng.normal(0, 0.09, n))
    price = np.round(price / 1000) * 1000

    lot_size_out = pd.array(lot_size.astype(int), dtype="Int64")
    lot_size_out[rng.random(n) < 0.03] = pd.NA

    return pd.DataFrame(
        {
            "house_id": house_id,
            "square_feet": square_feet,
            "bedrooms": bedrooms,
            "bathrooms": bathrooms,
            "lot_size": lot_size_out,
            "year_built": year_built,
            "neighborhood": neighborhood,
            "condition": condition,
            "has_garage": has_garage,
            "distance_to_center_km": distance,
            "listed_on": listed_on,
            "price": price.astype(int),
        }
    )


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
_MAKERS = {
    "loans": (make_loans, LOANS_ROWS),
    "churn": (make_churn, CHURN_ROWS),
    "house_prices": (make_house_prices, HOUSE_ROWS),
}


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    # Fixed line endings / encoding so the bytes do not depend on the platform.
    text = df.to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))


def generate_all(out_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write every sample CSV into ``out_dir``; return ``{dataset name: path}``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, (maker, rows) in _MAKERS.items():
        df = maker(rows, seed)
        path = out_dir / DATASETS[name]["filename"]
        _write_csv(df, path)
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent,
        help="output folder (default: the folder containing this script)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    for name, path in generate_all(args.out, args.seed).items():
        print(f"{name:13s} {path}  ({path.stat().st_size / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
