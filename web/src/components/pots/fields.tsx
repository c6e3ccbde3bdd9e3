import { useState } from "preact/hooks";
import { newTxnId } from "../../api/http";
import { t } from "../../i18n";
import { useAttempt } from "../problems";
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

/** A form that sends an amount with an idempotency key: a retry of the same form reuses the
 * key; once the server took it, the form is empty again with a new key. */
export function useAmountForm(currency: string) {
  const [amount, setAmount] = useState("");
  const [sent, setSent] = useState(false);
  const [clientId, setClientId] = useState(newTxnId);
  const [error, attempt, setError] = useAttempt();
  async function send<T>(call: (minor: number, clientId: string) => Promise<T>): Promise<T | undefined> {
    setSent(true);
    const minor = amountOf(amount, currency);
    if (minor === null) return undefined;
    if (typeof minor === "object") {
      setError(minor.error);
      return undefined;
    }
    const made = await attempt(call(minor, clientId));
    if (made !== undefined) {
      setClientId(newTxnId());
      setAmount("");
      setSent(false);
    }
    return made;
  }
  const field = (id: string, label: string) => (
    <AmountField id={id} label={label} currency={currency} value={amount} onInput={setAmount} required showError={sent} />
  );
  return { error, send, field };
}
