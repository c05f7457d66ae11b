"""Property tests: every schedule stays within its configured values, for any config and run length."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from noether.core.schedules import build_schedule
from noether.core.schemas import schedules as s

value = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)
unit_open = st.floats(min_value=0.01, max_value=0.99)
factor = st.floats(min_value=0.0, max_value=1.0)
power = st.floats(min_value=0.1, max_value=5.0)


@st.composite
def common(draw: st.DrawFn) -> dict[str, Any]:
    """Optional exclusions of the base config: a window and an overhang."""
    out: dict[str, Any] = {}
    window = draw(st.sampled_from(["none", "steps", "percent"]))
    if window == "steps":
        start = draw(st.integers(0, 300))
        out.update(start_step=start, end_step=start + draw(st.integers(1, 300)))
    elif window == "percent":
        a, b = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2, unique=True)))
        out.update(start_percent=a, end_percent=b)
    overhang = draw(st.sampled_from(["none", "steps", "percent"]))
    if overhang == "steps":
        out["overhang_steps"] = draw(st.integers(0, 100))
    elif overhang == "percent":
        out["overhang_percent"] = draw(st.floats(0.0, 2.0))
    return out


@st.composite
def schedule_case(draw: st.DrawFn) -> tuple[Any, float, float]:
    """A config with the bounds [low, high] its values must stay in."""
    base = draw(common())
    kind = draw(
        st.sampled_from(["inc", "dec", "progress", "stepdec", "stepfixed", "stepint", "lwcd", "sched"])
    )
    a, b = sorted([draw(value), draw(value)])
    exclusions: dict[str, Any] = {"exclude_first": draw(st.booleans()), "exclude_last": draw(st.booleans())}
    if kind == "inc":
        cls = draw(
            st.sampled_from(
                [
                    s.LinearIncreasingScheduleConfig,
                    s.CosineIncreasingScheduleConfig,
                    s.IncreasingProgressScheduleConfig,
                ]
            )
        )
        return cls(start_value=a, max_value=b, **exclusions, **base), a, b
    if kind == "dec":
        extra = {"power": draw(power)} if draw(st.booleans()) else {}
        cls = (
            s.PolynomialDecreasingScheduleConfig
            if extra
            else draw(st.sampled_from([s.LinearDecreasingScheduleConfig, s.CosineDecreasingScheduleConfig]))
        )
        return cls(max_value=b, end_value=a, **exclusions, **extra, **base), a, b
    if kind == "progress":
        start, end = draw(value), draw(value)
        return (
            s.ProgressScheduleConfig(start_value=start, end_value=end, **exclusions, **base),
            min(start, end),
            max(start, end),
        )
    if kind == "stepdec":
        cfg: Any = s.StepDecreasingScheduleConfig(
            max_value=b,
            end_value=a,
            factor=draw(factor),
            decreases_interval=draw(unit_open),
            **exclusions,
            **base,
        )
        return cfg, a, b
    if kind == "stepfixed":
        steps = draw(st.lists(unit_open, min_size=1, max_size=5))
        return s.StepFixedScheduleConfig(start_value=b, factor=draw(factor), steps=steps, **base), 0.0, b
    if kind == "stepint":
        cfg = s.StepIntervalScheduleConfig(
            start_value=b, factor=draw(factor), update_interval=draw(unit_open), **base
        )
        return cfg, 0.0, b
    start, end = draw(value), draw(value)
    peak = max(start, end) + draw(value)
    if kind == "sched":
        return (
            s.SchedulerConfig(
                warmup_percent=draw(st.floats(0.0, 1.0)), start_value=start, end_value=end, **base
            ),
            min(start, end),
            peak,
        )
    warmup = (
        {"warmup_steps": draw(st.integers(0, 500))}
        if draw(st.booleans())
        else {"warmup_percent": draw(st.floats(0.0, 1.0))}
    )
    max_value = peak if draw(st.booleans()) else None
    cfg = s.LinearWarmupCosineDecayScheduleConfig(
        start_value=start, end_value=end, max_value=max_value, **warmup, **base
    )
    return cfg, min(start, end), peak


@settings(max_examples=300, deadline=None)
@given(case=schedule_case(), total=st.integers(0, 400), data=st.data())
def test_schedule_stays_within_configured_values(
    case: tuple[Any, float, float], total: int, data: st.DataObject
) -> None:
    config, low, high = case
    # default_max_value matters only for warm-ups without max_value, whose peak is drawn as `high`.
    schedule = build_schedule(config, default_max_value=high)
    for step in {0, total, *data.draw(st.lists(st.integers(0, total), max_size=20))}:
        v = schedule.get_value(step, total)
        assert low <= v <= high, (config, step, total, v)


@settings(max_examples=150, deadline=None)
@given(
    a=value,
    b=value,
    total=st.integers(1, 300),
    cls=st.sampled_from(
        [
            s.LinearIncreasingScheduleConfig,
            s.CosineIncreasingScheduleConfig,
            s.PolynomialIncreasingScheduleConfig,
        ]
    ),
)
def test_increasing_schedules_are_monotone_and_end_exactly(a: float, b: float, total: int, cls: type) -> None:
    low, high = sorted([a, b])
    schedule = build_schedule(cls(start_value=low, max_value=high))
    got = [schedule.get_value(step, total) for step in range(total + 1)]
    assert all(y >= x - 1e-12 for x, y in itertools.pairwise(got))
    assert got[0] == low
    assert got[-1] == high
