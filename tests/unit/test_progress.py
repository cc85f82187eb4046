import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from octoprint_octorant.progress import (
    ProgressSample,
    ProgressSettings,
    ProgressState,
    decide,
    percent_of,
)


def run(settings_, samples, start=0.0):
    """Feed samples; return [(time, reason, percent)] of the messages that were due."""
    state = ProgressState.start(start)
    out = []
    for sample in samples:
        decision, state = decide(settings_, state, sample)
        if decision is not None:
            out.append((sample.now, decision.reason, decision.percent))
    return out


def file_samples(percents, dt=1.0):
    return [ProgressSample(now=(i + 1) * dt, file_percent=p) for i, p in enumerate(percents)]


PERCENT_ONLY = ProgressSettings(percent_step=10, source="file")


def test_every_ten_percent_never_zero_nor_hundred():
    out = run(PERCENT_ONLY, file_samples([0, 0.5] + list(range(1, 101))))
    assert [int(p) for _, _, p in out] == [10, 20, 30, 40, 50, 60, 70, 80, 90]


def test_a_jump_over_several_steps_gives_one_message():
    out = run(PERCENT_ONLY, file_samples([5, 8, 35, 36]))
    assert [(r, p) for _, r, p in out] == [("percent", 35)]


def test_never_twice_the_same_step_even_if_progress_goes_back():
    out = run(PERCENT_ONLY, file_samples([10, 11, 9, 10, 12]))
    assert len(out) == 1


@pytest.mark.parametrize("step, expected", [
    (0, []), (-5, []), (100, []), (150, []), (float("nan"), []), ("abc", []),
    (25, [25, 50, 75]), (12.5, [12.5, 25, 37.5, 50, 62.5, 75, 87.5]), (50, [50]), (99, [99]),
])
def test_percent_steps(step, expected):
    settings_ = ProgressSettings.from_mapping({"percent_step": step, "source": "file"})
    out = run(settings_, file_samples([x / 2 for x in range(0, 201)]))
    assert [p for _, _, p in out] == expected


def test_percent_from_the_time_estimate_by_default():
    sample = ProgressSample(now=1, file_percent=30, print_time=3600, print_time_left=1200)
    assert percent_of(sample, ProgressSettings()) == 75
    assert percent_of(sample, ProgressSettings(source="file")) == 30
    assert percent_of(ProgressSample(now=1, file_percent=30, print_time=10), ProgressSettings()) == 30
    assert percent_of(ProgressSample(now=1), ProgressSettings()) is None


def test_time_steps_count_printing_time_only():
    settings_ = ProgressSettings(percent_step=0, time_step=5)
    samples = []
    t = 0.0
    for _ in range(4 * 60):  # 4 min printing
        t += 1
        samples.append(ProgressSample(now=t))
    for _ in range(3600):  # an hour paused
        t += 1
        samples.append(ProgressSample(now=t, printing=False))
    for _ in range(2 * 60):  # 2 more minutes printing
        t += 1
        samples.append(ProgressSample(now=t))
    out = run(settings_, samples)
    assert len(out) == 1  # not a burst on resume: the one due at 5 min printing time
    assert out[0][1] == "time"
    assert out[0][0] == pytest.approx(4 * 60 + 3600 + 60, abs=2)


def test_time_steps_without_any_z_or_percent_work_for_sd_prints():
    settings_ = ProgressSettings(percent_step=0, time_step=1)
    out = run(settings_, [ProgressSample(now=float(t)) for t in range(1, 301)])
    assert [round(t) for t, _, _ in out] == [60, 120, 180, 240, 300]


def test_height_steps_ignore_z_hops():
    settings_ = ProgressSettings(percent_step=0, height_step=1.0)
    zs = []
    z = 0.2
    while z < 3.1:
        zs += [z, z + 0.4, z]  # a hop: one sample up, then back down
        z = round(z + 0.2, 2)
    state = ProgressState.start(0)
    steps = []
    for i, value in enumerate(zs):
        decision, state = decide(settings_, state, ProgressSample(now=i + 1.0, z=value))
        if decision is not None:
            steps.append((decision.reason, round(decision.step, 6)))
    # 1 mm and 2 mm above the first layer (0.2), never 1 mm above a hop.
    assert steps == [("height", 1.2), ("height", 2.2)]


def test_min_interval_holds_a_step_back_and_sends_it_once_later():
    settings_ = ProgressSettings(percent_step=10, min_interval=30, source="file")
    out = run(settings_, file_samples([10, 20, 21, 22, 25, 26, 27], dt=10))
    # 10 % at t=10; 20 % is due at t=20 but held; sent once at t=40 (first sample 30 s later)
    # with the figure of that moment.
    assert [(t, int(p)) for t, _, p in out] == [(10, 10), (40, 22)]


def test_nothing_when_not_printing():
    out = run(PERCENT_ONLY, [ProgressSample(now=1, file_percent=50, printing=False)])
    assert out == []


def test_all_triggers_off_never_notifies():
    settings_ = ProgressSettings.from_mapping({"percent_step": 0, "time_step": 0, "height_step": 0})
    samples = [ProgressSample(now=float(t), file_percent=t / 10, z=t / 10) for t in range(1000)]
    assert run(settings_, samples) == []


def test_from_mapping_never_raises_and_rejects_garbage():
    assert ProgressSettings.from_mapping(None) == ProgressSettings()
    s = ProgressSettings.from_mapping({"percent_step": "7", "time_step": -3, "height_step": True,
                                       "min_interval": float("inf"), "source": "weird"})
    assert (s.percent_step, s.time_step, s.height_step, s.min_interval, s.source) == (7, 0, 0, 0, "estimate")


odd = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(odd, odd, odd, odd, st.booleans()), max_size=60),
       st.sampled_from([0, 5, 10, 12.5, 33]), st.sampled_from([0, 0.5, 2]))
def test_odd_samples_never_raise_and_never_repeat_a_percent_step(rows, step, minutes):
    settings_ = ProgressSettings(percent_step=step, time_step=minutes, height_step=0.5, source="file")
    state = ProgressState.start(0)
    seen_steps = set()
    for i, (percent, left, elapsed, z, printing) in enumerate(rows):
        sample = ProgressSample(now=float(i), file_percent=percent, print_time=elapsed,
                                print_time_left=left, z=z, printing=printing)
        decision, state = decide(settings_, state, sample)
        if decision is not None and decision.reason == "percent":
            assert 0 < decision.step < 100
            assert decision.step not in seen_steps
            seen_steps.add(decision.step)
            assert decision.percent is None or not math.isnan(decision.percent)
