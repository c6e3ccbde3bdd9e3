// Money as the server keeps it: whole minor units of an ISO 4217 currency (EUR 12.50 = 1250,
// JPY 500 = 500, KWD 1.250 = 1250; colletta/domain/money.py). Typed amounts are decimals in
// the currency's own digits; shown amounts go through Intl.NumberFormat.
import { lang, t } from "./i18n";

/** The currencies the new-pot form offers, with their minor digits (ISO 4217). */
export const CURRENCIES: Record<string, number> = {
  EUR: 2, USD: 2, GBP: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2,
  BGN: 2, TRY: 2, CAD: 2, AUD: 2, NZD: 2, MXN: 2, BRL: 2, INR: 2, ZAR: 2,
  JPY: 0, KRW: 0, ISK: 0, CLP: 0,
  KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3,
};

const formats = new Map<string, Intl.NumberFormat>();

function format(currency: string): Intl.NumberFormat {
  let found = formats.get(currency);
  if (found === undefined) {
    const digits = CURRENCIES[currency];
    found = new Intl.NumberFormat(lang, {
      style: "currency",
      currency,
      ...(digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    });
    formats.set(currency, found);
  }
  return found;
}

/** How many decimals the currency has. */
export function digitsOf(currency: string): number {
  return CURRENCIES[currency] ?? format(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 1250 EUR → "€12.50" (or "12,50 €" in Italian). Exact for every amount the server takes
 * (at most 10^15 minor units): the division's error is far below the last digit shown. */
export function money(minor: number, currency: string): string {
  return format(currency).format(minor / 10 ** digitsOf(currency));
}

/** A typed amount ("12.50", "12,5", "500") in minor units, or the reason it is refused. */
export function parseAmount(text: string, currency: string): { minor: number } | { error: string } {
  const digits = digitsOf(currency);
  const match = /^(\d{1,13})(?:[.,](\d*))?$/.exec(text.trim());
  if (match === null) return { error: t.amountDigits };
  const fraction = match[2] ?? "";
  if (fraction.length > digits) return { error: t.tooManyDecimals(currency, digits) };
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (minor <= 0) return { error: t.amountPositive };
  if (!Number.isSafeInteger(minor) || minor > 1e15) return { error: t.amountTooLarge };
  return { minor };
}

/** 1250 EUR → "12.50": minor units as the decimal one would type (no grouping, a dot). */
export function decimalOf(minor: number, currency: string): string {
  const digits = digitsOf(currency);
  if (!digits) return String(minor);
  const text = String(minor).padStart(digits + 1, "0");
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
