"""The reports chart: each bar's value written beside it (readable without colour), a suppressed rate
written as such rather than drawn, and every label escaped (a region is text from a referral form)."""

from console.reports import cell, chart


def test_bars_carry_their_values_in_words_and_labels_are_escaped():
    rows = [
        {"provider": "family-action", "region": "Essex", "month": "2031-03", "completion_rate": 0.5},
        {"provider": "family-action", "region": "<script>x</script>", "month": "2031-04", "completion_rate": None},
    ]
    svg = str(chart(rows))
    assert svg.count("<rect") == 1 and 'width="135"' in svg and ">50%</text>" in svg
    assert "not shown" in svg and "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and "<title" in svg


def test_cells_say_what_is_suppressed():
    assert cell("referred", None) == "fewer than 5" and cell("completion_rate", None) == "not shown"
    assert cell("completion_rate", 0.625) == "62%" and cell("referred", 0) == "0"


def test_the_follow_up_chart_draws_the_mean_score_out_of_4_with_its_value_written():
    rows = [
        {"provider": "action-for-children", "region": "London", "month": "2031-03", "mean_score": 2.0},
        {"provider": "action-for-children", "region": "Essex", "month": "2031-03", "mean_score": None},
    ]
    svg = str(chart(rows, "mean_score", 4.0, "outcome-chart"))
    assert svg.count("<rect") == 1 and 'width="135"' in svg and ">2.0</text>" in svg and "not shown" in svg
    assert 'aria-labelledby="outcome-chart-title"' in svg and "Mean conflict score" in svg
    assert cell("reach_rate", 0.8) == "80%" and cell("mean_score", None) == "not shown"
    assert cell("calls_made", None) == "fewer than 5"
