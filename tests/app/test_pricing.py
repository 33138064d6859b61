"""Unit tests of app/services/pricing.py: exact decimal margin, canonical decimals (no trailing
zeros, no positive exponent), and parsing OpenRouter's models payload (entries without usable prices
are skipped)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.services.pricing import PricedModel, canonical, parse_models, with_margin
from tests.support.servers import ONE_MODEL

TWENTY = Decimal(20)


def entry(
    model_id: Any = "m", prompt: Any = "0.000001", completion: Any = "0.000002", **extra: Any
):
    return {"id": model_id, "pricing": {"prompt": prompt, "completion": completion}, **extra}


# --------------------------------------------------------------------------------------------
# with_margin


@pytest.mark.parametrize(
    ("price", "margin", "expected"),
    [
        ("0.000003", "20", "0.0000036"),
        ("0.000015", "20", "0.000018"),
        ("0.000003", "50", "0.0000045"),
        ("0.000015", "50", "0.0000225"),
        ("0.000003", "0", "0.000003"),
        ("0.000003", "100", "0.000006"),
        ("0.000003", "12.5", "0.000003375"),
        ("0.1", "20", "0.12"),
        ("12.5", "20", "15"),
        ("0", "20", "0"),
        ("0.00000025", "20", "0.0000003"),
        ("0.0000001", "0", "0.0000001"),
    ],
)
def test_with_margin_is_exact_and_canonical(price: str, margin: str, expected: str) -> None:
    result = with_margin(Decimal(price), Decimal(margin))
    assert result == Decimal(expected)
    assert format(result, "f") == expected  # exact, and no trailing zeros
    assert int(result.as_tuple().exponent) <= 0


# --------------------------------------------------------------------------------------------
# canonical


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.00000360", "0.0000036"),
        ("3.60", "3.6"),
        ("18.000000", "18"),
        ("1E+2", "100"),
        ("1.5E+3", "1500"),
        ("0", "0"),
        ("0E-10", "0"),
        ("0.000001", "0.000001"),
        ("1E-7", "0.0000001"),
        ("2.5E-8", "0.000000025"),
        ("123456789.1230", "123456789.123"),
    ],
)
def test_canonical_has_no_trailing_zeros_nor_positive_exponent(value: str, expected: str) -> None:
    result = canonical(Decimal(value))
    assert result == Decimal(value)
    assert format(result, "f") == expected  # no trailing zeros
    assert int(result.as_tuple().exponent) <= 0  # integral values without a positive exponent


# --------------------------------------------------------------------------------------------
# parse_models


@pytest.mark.parametrize(
    "payload",
    [None, [], "data", 3, {}, {"models": []}, {"data": None}, {"data": {}}, {"data": "[]"}],
    ids=["none", "list", "string", "number", "empty", "wrong-key", "null", "object", "string-data"],
)
def test_parse_models_rejects_payloads_that_are_not_data_lists(payload: Any) -> None:
    with pytest.raises(ValueError, match="payload"):
        parse_models(payload, TWENTY)


def test_parse_models_empty_data_is_no_models() -> None:
    assert parse_models({"data": []}, TWENTY) == []


def test_parse_models_applies_margin_and_per_million() -> None:
    payload = ONE_MODEL  # Claude 3.5 Sonnet: $3 and $15 per million tokens
    [model] = parse_models(payload, TWENTY)
    assert model == PricedModel(
        id="anthropic/claude-3.5-sonnet",
        name="Claude 3.5 Sonnet",
        context_length=200000,
        prompt_per_token=Decimal("0.0000036"),
        completion_per_token=Decimal("0.000018"),
    )
    assert str(model.prompt_per_million) == "3.6"
    assert str(model.completion_per_million) == "18"


def test_parse_models_keeps_upstream_order() -> None:
    models = parse_models({"data": [entry("b"), entry("a"), entry("c")]}, TWENTY)
    assert [model.id for model in models] == ["b", "a", "c"]


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "m"},
        {"id": "m", "pricing": None},
        {"id": "m", "pricing": ["0.1", "0.1"]},
        entry(prompt=None),
        entry(completion=None),
        {"id": "m", "pricing": {"prompt": "0.000001"}},
        {"id": "m", "pricing": {"completion": "0.000001"}},
        entry(prompt="-0.000001"),
        entry(completion="-1"),
        entry(prompt=-1),
        entry(prompt="free"),
        entry(prompt=""),
        entry(prompt="NaN"),
        entry(prompt="sNaN"),
        entry(prompt="Infinity"),
        entry(completion="-Infinity"),
        entry(prompt=True),
        entry(prompt=["0.1"]),
        entry(prompt={"usd": "0.1"}),
        entry(model_id=None),
        entry(model_id=42),
        {"pricing": {"prompt": "0.1", "completion": "0.1"}},
        "not-an-object",
        None,
        ["m", "0.1"],
    ],
    ids=[
        "no-pricing",
        "null-pricing",
        "list-pricing",
        "null-prompt",
        "null-completion",
        "missing-completion",
        "missing-prompt",
        "negative-prompt",
        "negative-completion",
        "negative-number",
        "word",
        "empty-string",
        "nan",
        "signalling-nan",
        "infinity",
        "minus-infinity",
        "boolean",
        "list",
        "object",
        "null-id",
        "numeric-id",
        "no-id",
        "string-entry",
        "null-entry",
        "list-entry",
    ],
)
def test_parse_models_skips_entries_without_usable_prices(bad: Any) -> None:
    models = parse_models({"data": [bad, entry("kept")]}, TWENTY)
    assert [model.id for model in models] == ["kept"]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (0.000003, "0.0000036"),
        (0, "0"),
        ("0", "0"),
        ("1e-7", "0.00000012"),
        (1, "1.2"),
    ],
)
def test_parse_models_accepts_numeric_prices(prompt: Any, expected: str) -> None:
    [model] = parse_models({"data": [entry(prompt=prompt)]}, TWENTY)
    assert model.prompt_per_token == Decimal(expected)
    assert format(model.prompt_per_token, "f") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(200000, 200000), (0, 0), ("200000", None), (1.5, None), (True, None), (None, None)],
)
def test_parse_models_context_length_is_an_integer_or_null(raw: Any, expected: int | None) -> None:
    [model] = parse_models({"data": [entry(context_length=raw)]}, TWENTY)
    assert model.context_length == expected


def test_parse_models_context_length_missing_is_null() -> None:
    [model] = parse_models({"data": [entry()]}, TWENTY)
    assert model.context_length is None


@pytest.mark.parametrize(
    ("name", "expected"), [("Nice", "Nice"), (None, "m"), ("", "m"), (12, "12")]
)
def test_parse_models_name_falls_back_to_id(name: Any, expected: str) -> None:
    [model] = parse_models({"data": [entry(name=name)]}, TWENTY)
    assert model.name == expected


def test_parse_models_margin_is_a_parameter() -> None:
    [model] = parse_models({"data": [entry(prompt="0.000003", completion="0.000015")]}, Decimal(50))
    assert (model.prompt_per_token, model.completion_per_token) == (
        Decimal("0.0000045"),
        Decimal("0.0000225"),
    )
    assert (str(model.prompt_per_million), str(model.completion_per_million)) == ("4.5", "22.5")
