"""Facility-day series for fund monitoring: trends, weekly and yearly seasonality, and labelled
injected anomalies, generated directly at the facility_day level (numpy, no Kafka).

Generating claims one by one and sending them through the worker and the sink would take
hours for 1,000 facilities × 400 days; the detector only reads facility_day, so the detection
quality test and ``hireview bench detect`` build that table's rows here instead. Each day's
figures are drawn the way claims would add up: Poisson counts of outpatient and inpatient
claims, gamma-distributed costs per claim and per bed day, shares with noise that shrinks with
volume.

Injections (``Injection.kind``):
- ``cost_step``: cost per visit +30 % from a given day on;
- ``admissions_double``: the admission rate doubles from a given day on (inpatient facilities);
- ``upcoding_drift``: service costs added at +0.6 % of cost per day since the start (a slow
  upcoding; hospitals of ≥ 100 visits a day);
- ``spike``: one day with 2.5× the visits at twice the cost per visit — NOT an anomaly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from streams.fund.series import FacilityInfo, FacilitySeries
from streams.sim.data import PROVINCES

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Profile:
    tier: int
    kind: str
    count: int  # per province
    visits: float  # mean claims a day
    admit: float  # admissions per outpatient claim
    los: float  # bed days per stay
    cost_out: float  # VND per outpatient claim
    cost_bed: float  # VND per bed day
    referral: float  # referrals out per claim


PROFILES = (
    Profile(2, "public_hospital", 2, 500, 0.08, 6.0, 350_000, 1_200_000, 0.01),
    Profile(3, "public_hospital", 4, 180, 0.06, 5.0, 250_000, 800_000, 0.02),
    Profile(4, "health_station", 9, 22, 0.0, 0.0, 90_000, 0.0, 0.03),
    Profile(4, "clinic", 3, 60, 0.0, 0.0, 220_000, 0.0, 0.01),
    Profile(2, "private_hospital", 2, 150, 0.05, 4.0, 500_000, 1_500_000, 0.01),
)
PER_PROVINCE = sum(p.count for p in PROFILES)
EXPECTED_METRICS = {
    "cost_step": ("cost_per_visit", "total_cost", "hi_cost"),
    "admissions_double": ("admissions", "total_cost", "hi_cost", "length_of_stay"),
    "upcoding_drift": ("cost_per_visit", "service_share", "total_cost", "hi_cost"),
    "spike": (),
}
_WEEK = {"hospital": (1.15, 1.05, 1.05, 1.0, 1.0, 0.8, 0.55),
         "other": (1.2, 1.1, 1.1, 1.05, 1.05, 0.6, 0.3)}


@dataclass(frozen=True)
class Injection:
    facility: str
    kind: str
    start: date

    @property
    def metrics(self) -> tuple[str, ...]:
        return EXPECTED_METRICS[self.kind]


@dataclass
class FundSim:
    series: FacilitySeries
    injections: list[Injection]
    profiles: list[Profile]  # per facility


def register(facilities: int) -> tuple[list[FacilityInfo], list[Profile]]:
    """``facilities`` facilities over as many provinces as needed, PER_PROVINCE each."""
    infos: list[FacilityInfo] = []
    profiles: list[Profile] = []
    provinces = [p.code for p in PROVINCES]
    n = 0
    while len(infos) < facilities:
        prov = provinces[n % len(provinces)] if n < len(provinces) else f"{n % 90 + 10:02d}"
        base = 1 + 100 * (n // len(provinces)) if n >= len(provinces) else 1
        k = 0
        for prof in PROFILES:
            for _ in range(prof.count):
                if len(infos) < facilities:
                    infos.append(FacilityInfo(f"{prov}{base + k:03d}", prov, prof.tier,
                                              prof.kind, f"Cơ sở mô phỏng {prov}-{base + k}"))
                    profiles.append(prof)
                k += 1
        n += 1
    return infos, profiles


def simulate(facilities: int = 300, days: int = 400, start: date = date(2025, 1, 1),
             seed: int = 13, inject_share: float = 1 / 30) -> FundSim:
    rng = np.random.default_rng(seed)
    infos, profiles = register(facilities)
    f, t = len(infos), np.arange(days)
    dates = [start + timedelta(days=int(i)) for i in t]
    wd = np.array([d.weekday() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    hospital = np.array(["hospital" in p.kind for p in profiles])
    week = np.where(hospital[:, None], np.array(_WEEK["hospital"])[wd][None, :],
                    np.array(_WEEK["other"])[wd][None, :])
    # One seasonal wave for the country (rainy-season peak), a small shift per province.
    phase = {p: rng.normal(0, 8) for p in sorted({i.province for i in infos})}
    shift = np.array([phase[i.province] for i in infos])[:, None]
    season = 1 + 0.08 * np.sin(2 * np.pi * (doy[None, :] - 120 - shift) / 365.25)
    growth = np.exp(rng.normal(0.04, 0.04, f)[:, None] * t[None, :] / 365.25)
    size = np.array([p.visits for p in profiles]) * rng.lognormal(0, 0.35, f)
    lam = size[:, None] * week * season * growth * rng.lognormal(0, 0.04, (f, days))

    admit = np.array([p.admit for p in profiles]) * rng.lognormal(0, 0.1, f)
    admit_m = np.ones((f, days))
    cost_m = np.ones((f, days))
    drift = np.zeros((f, days))
    injections = _choose(rng, infos, profiles, size, days, start, inject_share)
    for inj in injections:
        i, s = next(j for j, x in enumerate(infos) if x.facility == inj.facility), \
            (inj.start - start).days
        if inj.kind == "cost_step":
            cost_m[i, s:] *= 1.3
        elif inj.kind == "admissions_double":
            admit_m[i, s:] *= 2.0
        elif inj.kind == "upcoding_drift":
            drift[i, s:] = 0.006 * (t[s:] - s + 1)
        else:
            lam[i, s] *= 2.5
            cost_m[i, s] *= 2.0

    outpatient = rng.poisson(lam)
    admissions = rng.poisson(lam * admit[:, None] * admit_m)
    inpatient = admissions + rng.poisson(0.15 * admissions)
    los = np.array([p.los for p in profiles]) * rng.lognormal(0, 0.08, f)
    bed_days = rng.poisson(inpatient * los[:, None])
    level = rng.lognormal(0, 0.05, f)[:, None] * cost_m
    out_cost = _gamma_sum(rng, outpatient, np.array([p.cost_out for p in profiles])[:, None]
                          * level, 1.0)
    inp_cost = _gamma_sum(rng, bed_days, np.array([p.cost_bed for p in profiles])[:, None]
                          * level, 0.8)
    base_total = out_cost + inp_cost
    extra = base_total * drift
    total = base_total + extra
    visits = outpatient + inpatient
    noise = 0.25 / np.sqrt(np.fmax(visits, 1))
    drug_p = np.clip(rng.normal(0.35, 0.04, f), 0.15, 0.6)[:, None]
    supply_p = np.clip(rng.normal(0.10, 0.02, f), 0.03, 0.25)[:, None]
    drug = base_total * np.clip(drug_p * (1 + rng.normal(0, 1, (f, days)) * noise), 0, 0.9)
    supply = base_total * np.clip(supply_p * (1 + rng.normal(0, 1, (f, days)) * noise), 0,
                                  0.5)
    service = np.fmax(total - drug - supply, 0.0)
    hi_share = rng.uniform(0.78, 0.86, f)[:, None] * (1 + rng.normal(0, 0.01, (f, days)))
    hi_cost = total * hi_share
    rejected = hi_cost * rng.uniform(0.01, 0.05, f)[:, None]
    ref = np.array([p.referral for p in profiles])[:, None]
    data = {
        "visits": visits, "outpatient": outpatient, "inpatient": inpatient,
        "admissions": admissions, "bed_days": bed_days,
        "referrals_in": rng.poisson(lam * 0.02 * hospital[:, None]),
        "referrals_out": rng.poisson(visits * ref), "total_cost": total, "hi_cost": hi_cost,
        "approved": hi_cost - rejected, "rejected": rejected, "drug_cost": drug,
        "supply_cost": supply, "service_cost": service, "inpatient_cost": inp_cost,
    }
    series = FacilitySeries(start, infos, {k: np.asarray(v, dtype=float)
                                           for k, v in data.items()})
    return FundSim(series, injections, profiles)


def _gamma_sum(rng: np.random.Generator, n: npt.NDArray[np.int64], mean: Array,
               cv: float) -> Array:
    """The sum of ``n`` claim amounts of mean ``mean`` and variation ``cv`` (a gamma sum)."""
    shape = np.fmax(n, 0) / cv ** 2
    out: Array = np.where(n > 0, rng.gamma(np.fmax(shape, 1e-9), mean * cv ** 2), 0.0)
    return out


def _choose(rng: np.random.Generator, infos: list[FacilityInfo], profiles: list[Profile],
            size: Array, days: int, start: date, share: float) -> list[Injection]:
    """A share of the facilities for each kind, each facility at most once, starting between
    day 150 and 40 days before the end (so a baseline before and a month after exist)."""
    count = max(4, round(len(infos) * share))
    free = set(range(len(infos)))
    rules: dict[str, Callable[[int], bool]] = {
        "cost_step": lambda i: True,
        "admissions_double": lambda i: profiles[i].admit > 0 and bool(size[i] >= 60),
        "upcoding_drift": lambda i: "hospital" in profiles[i].kind and bool(size[i] >= 100),
        "spike": lambda i: True,
    }
    out: list[Injection] = []
    last = max(151, days - 40)
    for kind, fits in rules.items():
        pool = sorted(i for i in free if fits(i))
        for i in rng.choice(pool, size=min(count, len(pool)), replace=False):
            free.discard(int(i))
            day = int(rng.integers(150, last))
            out.append(Injection(infos[int(i)].facility, kind, start + timedelta(days=day)))
    return out
