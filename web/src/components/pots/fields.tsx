import { useState } from "preact/hooks";
import { newTxnId } from "../../api/http";
import { t } from "../../i18n";
import { digitsOf, parseAmount } from "../../money";

/** A decimal amount typed in the currency's own digits, checked as the server would: its
 * error is shown (and announced) once the field was left or the form was sent. */
export function AmountField(props: {
  id: string;
  label: string;
  currency: string;
  value: string;
  onInput: (value: string) => void;
  required?: boolean;
  showError?: boolean;
}) {
  const [left, setLeft] = useState(false);
  const parsed = props.value.trim() === "" ? null : parseAmount(props.value, props.currency);
  const error = parsed !== null && "error" in parsed && (left || props.showError) ? parsed.error : "";
  const hint = `${props.id}-hint`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        inputMode={digitsOf(props.currency) ? "decimal" : "numeric"}
        autoComplete="off"
        value={props.value}
        required={props.required}
        aria-invalid={error ? true : undefined}
        aria-describedby={hint}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        onBlur={() => setLeft(true)}
      />
      <small id={hint} class={error ? "error" : "hint"} aria-live="polite">
        {error || t.decimalsHint(props.currency, digitsOf(props.currency))}
      </small>
    </div>
  );
}

/** Minor units of a filled amount field; null for an empty one; the error of a bad one. */
export function amountOf(text: string, currency: string): number | null | { error: string } {
  if (text.trim() === "") return null;
  const parsed = parseAmount(text, currency);
  return "minor" in parsed ? parsed.minor : parsed;
}

/** An idempotency key for one thing the user means to do: a retry of the same form reuses
 * it, `renew` after it succeeded. */
export function useClientId(): [string, () => void] {
  const [id, setId] = useState(newTxnId);
  return [id, () => setId(newTxnId())];
}
