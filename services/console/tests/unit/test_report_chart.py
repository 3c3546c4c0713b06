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
