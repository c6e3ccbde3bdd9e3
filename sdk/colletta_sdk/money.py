"""Amounts for people: "12.50" EUR is 1250 minor units, "1250" JPY is 1250, "1.250" KWD is 1250.

The API counts money in whole minor units of a pot's currency; these turn them into decimal
strings and back with the currency's ISO 4217 minor digits, as the server does.
"""

from __future__ import annotations

import re

# Most currencies have 2 minor digits; these are the exceptions (ISO 4217, active codes).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_EXCEPTIONS = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}
_CODE = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"(\d{1,16})(?:\.(\d{1,8}))?")


class AmountError(ValueError):
    """An amount or currency a person typed that cannot be money."""


def check_currency(code: str) -> str:
    """`eur` → `EUR`; the server refuses codes it does not know."""
    upper = code.strip().upper()
    if _CODE.fullmatch(upper) is None:
        raise AmountError(f"{code!r} is not a currency code; use ISO 4217, e.g. EUR, JPY, KWD")
    return upper


def minor_digits(currency: str) -> int:
    """EUR 2, JPY 0, KWD 3."""
    return _EXCEPTIONS.get(check_currency(currency), 2)


def parse_amount(text: str, currency: str) -> int:
    """ "12.50" EUR → 1250. More decimals than the currency has ("1.5" JPY) is refused."""
    digits = minor_digits(currency)
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise AmountError(f"{text!r} is not an amount; write digits, e.g. 12.50")
    whole, fraction = str(match[1]), str(match[2] or "")
    if len(fraction) > digits:
        places = f"{digits} decimal digits" if digits else "no decimal digits"
        raise AmountError(f"{currency.upper()} has {places}; {text.strip()!r} has {len(fraction)}")
    amount: int = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if amount <= 0:
        raise AmountError("the amount must be more than zero")
    return amount


def format_amount(amount_minor: int, currency: str) -> str:
    """1250 EUR → "12.50"; 1250 JPY → "1250"; 1250 KWD → "1.250"."""
    digits = minor_digits(currency)
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def money(amount_minor: int, currency: str) -> str:
    """1250 EUR → "12.50 EUR"."""
    return f"{format_amount(amount_minor, currency)} {currency.upper()}"
