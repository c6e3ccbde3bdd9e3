import { useState } from "preact/hooks";
import { newTxnId, type Schemas } from "../../api/http";
import { t } from "../../i18n";
import { useAttempt } from "../problems";
import type { TextLimits } from "../TextFields";
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

/** Minor units of several amount fields (null where empty), or the first one's error. */
export function amountsOf(texts: string[], currency: string): (number | null)[] | { error: string } {
  const amounts = texts.map((text) => amountOf(text, currency));
  const bad = amounts.find((a) => a !== null && typeof a === "object");
  return bad && typeof bad === "object" ? bad : (amounts as (number | null)[]);
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

/** An item as typed: its price a decimal in the pot's currency. */
export interface ItemDraft {
  key: number;
  what: string;
  quantity: string;
  price: string;
}

let lastKey = 0;
export const newKey = (): number => ++lastKey;

export function newItem(what = "", quantity = "1", price = ""): ItemDraft {
  return { key: newKey(), what, quantity, price };
}

/** The items to send: those named and priced (prices are the items' amounts, checked). */
export function itemsToSend(items: ItemDraft[], prices: (number | null)[]): Schemas["ItemIn"][] {
  return items
    .map((item, i) => ({ what: item.what.trim(), quantity: Number(item.quantity) || 1, price_minor: prices[i] ?? 0 }))
    .filter((item) => item.what && item.price_minor > 0);
}

/** The rows of a pot's items: what, how many, the price of each; add and remove rows. */
export function ItemRows(props: { items: ItemDraft[]; setItems: (change: (list: ItemDraft[]) => ItemDraft[]) => void; currency: string; showError: boolean }) {
  const { items, setItems, currency } = props;
  const patch = (key: number, change: Partial<ItemDraft>) =>
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));
  return (
    <fieldset class="rows">
      <legend>{t.items}</legend>
      {items.map((item, i) => (
        <div class="item-row" key={item.key}>
          <input aria-label={t.itemLabel(t.itemWhat, i + 1)} placeholder={t.itemWhat} value={item.what} maxLength={1024} onInput={(e) => patch(item.key, { what: e.currentTarget.value })} />
          <input aria-label={t.itemLabel(t.itemQuantity, i + 1)} type="number" min={1} max={1_000_000} value={item.quantity} onInput={(e) => patch(item.key, { quantity: e.currentTarget.value })} />
          <AmountField id={`pot-item-${item.key}`} label={t.itemLabel(t.itemPrice, i + 1)} currency={currency} value={item.price} onInput={(price) => patch(item.key, { price })} showError={props.showError} />
          <button type="button" aria-label={t.removeItem(i + 1)} onClick={() => setItems((list) => list.filter((x) => x.key !== item.key))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => setItems((list) => [...list, newItem()])}>
        + {t.addItem}
      </button>
    </fieldset>
  );
}

export interface OptionDraft {
  key: number;
  title: string;
}

/** Vote options to add (`first`: how many the pot has already, for their numbers). */
export function OptionRows(props: { legend: string; options: OptionDraft[]; setOptions: (change: (list: OptionDraft[]) => OptionDraft[]) => void; first?: number }) {
  const { options, setOptions } = props;
  const first = props.first ?? 0;
  return (
    <fieldset class="rows">
      <legend>{props.legend}</legend>
      {options.map((option, i) => (
        <div class="option-row" key={option.key}>
          <input
            aria-label={t.option(first + i + 1)}
            value={option.title}
            maxLength={1024}
            onInput={(e) => {
              const value = e.currentTarget.value;
              setOptions((list) => list.map((o) => (o.key === option.key ? { ...o, title: value } : o)));
            }}
          />
          <button type="button" aria-label={t.removeOption(first + i + 1)} onClick={() => setOptions((list) => list.filter((o) => o.key !== option.key))}>
            ✕
          </button>
        </div>
      ))}
      {first + options.length < 20 && (
        <button type="button" onClick={() => setOptions((list) => [...list, { key: newKey(), title: "" }])}>
          + {t.addOption}
        </button>
      )}
    </fieldset>
  );
}

/** A pot's title and description (the API's limits). */
export const POT_TEXT: TextLimits = { titleMax: 1024, descriptionMax: 16_384 };
