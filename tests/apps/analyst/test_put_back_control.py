"""The Build page says which columns are left out for the target and lets the analyst put one back, with a reason."""

from __future__ import annotations

from .conftest import open_page


def test_build_page_lists_left_out_columns_and_asks_why_one_is_put_back(app):
    at = open_page(app, "build")
    next(s for s in at.selectbox if s.label == "Predict").select("churned")
    at = at.run()
    assert not at.exception
    left_out = "\n".join(str(i.value) for i in at.info)
    assert "`customer_id` has a different value on every row, like an ID, so it will be left out." in left_out
    put_back = next(m for m in at.multiselect if m.label == "Put back a column that was left out")
    assert "customer_id" in put_back.options
    put_back.select("customer_id")
    at = at.run()
    assert not at.exception
    assert any(t.label.startswith("Why `customer_id` belongs in the model") for t in at.text_input)
    # no reason given: the build is refused in words, nothing is queued
    next(b for b in at.button if b.label == "Start building").click()
    at = at.run()
    assert not at.exception
    assert any("Say why 'customer_id' should be put back" in e.value for e in at.error)
