"""Money: ISO 4217 currencies with their minor digits, amounts as integers of minor units."""

from __future__ import annotations

import re

from colletta.errors import InvalidInput

# Minor digits of the active ISO 4217 codes (ISO 4217 list one, funds and metals left out).
# Most currencies have 2; these are the exceptions.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG"
)
MINOR_DIGITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}
# Far above any pot, far below 2**63: sums of many amounts stay exact in a BIGINT.
AMOUNT_MAX_MINOR = 10**15
_DECIMAL = re.compile(r"(\d{1,16})(?:\.(\d{1,8}))?")


def check_currency(code: str, field: str = "currency") -> str:
    """An ISO 4217 code we know, upper-case; anything else is refused."""
    if not isinstance(code, str) or code not in MINOR_DIGITS:
        raise InvalidInput("currency must be an ISO 4217 code such as EUR, JPY or KWD", field=field)
    return code


def check_amount(amount_minor: int, field: str = "amount_minor") -> int:
    """A positive whole number of minor units, within bounds."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("amounts are whole numbers of minor units", field=field)
    if amount_minor <= 0:
        raise InvalidInput("the amount must be more than zero", field=field)
    if amount_minor > AMOUNT_MAX_MINOR:
        raise InvalidInput("the amount is too large", field=field)
    return amount_minor


def parse_amount(text: str, currency: str, field: str = "amount") -> int:
    """ "12.50" EUR → 1250; more decimals than the currency has ("1.5" JPY) is an error."""
    digits = MINOR_DIGITS[check_currency(currency)]
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise InvalidInput("write the amount as digits, e.g. 12.50", field=field)
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        raise InvalidInput(
            f"{currency} has {digits} decimal digits; {text!r} has {len(fraction)}", field=field
        )
    return check_amount(int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0), field)


def format_amount(amount_minor: int, currency: str) -> str:
    """1250 EUR → "12.50"; 1250 JPY → "1250"; 1250 KWD → "1.250"."""
    digits = MINOR_DIGITS[currency]
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def split_pro_rata(total_minor: int, weights: list[int]) -> list[int]:
    """`total_minor` in parts proportional to `weights`, in whole minor units that add up to
    it exactly (largest remainder: each part is its exact share rounded down, and the units
    left over go one each to the largest fractions, ties to the earlier weight). Every part is
    within one unit of its exact share, and none exceeds its weight when the total does not
    exceed their sum."""
    if total_minor < 0 or any(w < 0 for w in weights):
        raise InvalidInput("a split takes amounts of zero or more")
    weight_total = sum(weights)
    if weight_total == 0:
        if total_minor:
            raise InvalidInput("nothing to split an amount by")
        return [0] * len(weights)
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        part, remainder = divmod(total_minor * weight, weight_total)
        parts.append(part)
        remainders.append((-remainder, index))
    left = total_minor - sum(parts)
    for _, index in sorted(remainders)[:left]:
        parts[index] += 1
    return parts
