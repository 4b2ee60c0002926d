from insights.spc import svg, xmr

LABELS = [f"M{i}" for i in range(20)]


def test_limits_are_mean_plus_or_minus_2_66_average_moving_range():
    result = xmr(["a", "b", "c", "d"], [10, 12, 10, 12], higher_is_better=True)
    assert result.mean == 11
    assert round(result.upper, 2) == round(11 + 2.66 * 2, 2)
    assert round(result.lower, 2) == round(11 - 2.66 * 2, 2)
    assert result.icon == "common"
    assert result.summary.startswith("Common cause variation")


def test_a_point_outside_the_limits_is_special_cause():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 40]
    result = xmr(LABELS[:10], values, higher_is_better=True)
    assert result.points[-1].outside
    assert result.icon == "improvement"
    assert "outside the process limits" in result.summary


def test_direction_decides_improvement_or_concern():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 40]
    assert xmr(LABELS[:10], values, higher_is_better=False).icon == "concern"


def test_a_run_of_seven_on_one_side_of_the_mean():
    values = [10, 30, 10, 30, 10, 5] + [22, 23, 22, 23, 22, 23, 22]
    result = xmr(LABELS[:13], values, higher_is_better=True)
    assert all(p.run for p in result.points[-7:])
    assert not result.points[5].run
    assert "run of 7" in result.summary


def test_a_trend_of_seven_going_down_is_a_concern_when_higher_is_better():
    values = [20, 21, 20, 21, 20, 21, 19, 18, 17, 16, 15, 14, 13]
    result = xmr(LABELS[:13], values, higher_is_better=True)
    assert all(p.trend for p in result.points[-7:])
    assert result.icon == "concern"


def test_six_in_a_row_is_not_yet_a_trend():
    values = [20, 21, 20, 21, 20, 21, 22, 21, 20, 19, 18, 17]  # 6 points falling
    result = xmr(LABELS[:12], values, higher_is_better=True)
    assert not any(p.trend for p in result.points)


def test_too_little_data_says_so():
    result = xmr(["a"], [5], higher_is_better=True)
    assert result.icon == "none"
    assert svg(result, "x", "c") == ""


def test_svg_is_labelled_for_screen_readers():
    result = xmr(LABELS[:5], [1, 2, 3, 2, 1], higher_is_better=True)
    markup = svg(result, "Adoption & use", "adoption")
    assert 'role="img"' in markup
    assert 'aria-labelledby="adoption-title adoption-desc"' in markup
    assert "Adoption &amp; use" in markup
