from decimal import Decimal

import pytest

from llmcost_jupyter.display import Notice, Table, format_money, format_rate


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0.00"),
        ("0.000123456", "$0.000123"),
        ("0.0000000042", "$0.0000000042"),
        ("0.004", "$0.004"),
        ("0.0125", "$0.0125"),
        ("0.5", "$0.50"),
        ("2.456", "$2.46"),
        ("1234.5", "$1,234.50"),
        ("-0.003", "-$0.003"),
    ],
)
def test_format_money(amount, shown):
    assert format_money(Decimal(amount)) == shown


def test_small_amount_never_zero():
    for exponent in range(1, 15):
        amount = Decimal(1).scaleb(-exponent)
        assert format_money(amount) != "$0.00", amount


def test_format_rate():
    assert format_rate(Decimal("2.50")) == "$2.5 / MTok"
    assert format_rate(None) == "not listed"


def test_table_text_and_html_escape():
    table = Table("T <1>", ["a", "b"], [["<x>", "y"]], ["note & more"])
    assert "<x>" in str(table)
    assert "&lt;x&gt;" in table._repr_html_()
    assert "note &amp; more" in table._repr_html_()


def test_notice_warning_html_has_alert_role():
    assert 'role="alert"' in Notice("over", warning=True)._repr_html_()
    assert "role" not in Notice("fyi")._repr_html_()


def test_html_outputs_skip_mathjax():
    from llmcost_jupyter import estimate

    report = estimate("Price this.", ["gpt-4o", "gpt-4o-mini"], output_tokens=100)
    assert "mathjax_ignore" in report._repr_html_()
    assert "mathjax_ignore" in Table("t", ["a"], [["$1 and $2"]])._repr_html_()
    assert "mathjax_ignore" in Notice("$1 over $2", warning=True)._repr_html_()
