// Removal orders (TCO Regulation 2021/784) in the console: the operator registers one — the
// items are removed for everyone before the answer — and everyone who may read them (the
// operator and moderators) sees each order with the time from receipt to removal.
import { useEffect, useId, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/http";
import { shortDuration, stamp, t } from "../../i18n";
import { problemText, useAttempt } from "../problems";

type Order = Schemas["Order"];
const HOUR_MS = 3_600_000;

/** "158 ms", "2.4 s", then minutes and hours: how long a removal took. */
export function preciseDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return shortDuration(ms);
}

/** Now as a `datetime-local` value, to the second, in the browser's time zone. */
function localNow(): string {
  const now = new Date();
  now.setMilliseconds(0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

export function Orders({ operator }: { operator: boolean }) {
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState("");
  async function load() {
    try {
      setOrders((await ok(api.GET("/api/v1/orders"))).orders);
    } catch (caught) {
      setError(problemText(caught));
    }
  }
  useEffect(() => void load(), []);
  return (
    <>
      <p class="hint">{t.ordersIntro}</p>
      {operator && <NewOrder onDone={load} />}
      <section aria-labelledby="orders-title">
        <h2 id="orders-title">{t.orders}</h2>
        {error && <p class="error" role="alert">{error}</p>}
        {orders === null && !error && <p class="hint" role="status">{t.loading}</p>}
        {orders !== null && orders.length === 0 && <p class="hint">{t.noOrders}</p>}
        {orders !== null && orders.length > 0 && (
          <ul class="notices" aria-label={t.orders}>
            {orders.map((order) => (
              <OrderRow key={order.id} order={order} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function OrderRow({ order }: { order: Order }) {
  const taken = order.execution_ms;
  return (
    <li class="notice order" data-order-id={order.id}>
      <p class="notice-head">
        <strong>
          {order.authority} · {order.reference}
        </strong>
        <time dateTime={new Date(order.received_at_ms).toISOString()}>{stamp(order.received_at_ms)}</time>
      </p>
      <p class={taken !== null && taken <= HOUR_MS ? "notice-line" : "notice-line error"}>
        {taken === null ? t.notExecuted : `${t.timeTaken(preciseDuration(taken))}, ${taken <= HOUR_MS ? t.withinLimit : t.overLimit}`}
      </p>
      <p class="notice-line">{order.reasons}</p>
      <ul class="plain order-items">
        {order.confirmation.items.map((item) => (
          <li key={item.item}>
            <code>{item.item}</code> — {t.itemOutcomes[item.outcome] ?? item.outcome}
          </li>
        ))}
      </ul>
    </li>
  );
}

/** The operator's form: authority, reference, reasons, the exact items, when it arrived. */
function NewOrder({ onDone }: { onDone: () => Promise<void> }) {
  const id = useId();
  const [authority, setAuthority] = useState("");
  const [reference, setReference] = useState("");
  const [reasons, setReasons] = useState("");
  const [items, setItems] = useState("");
  const [received, setReceived] = useState(localNow);
  const [notify, setNotify] = useState(true);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  const [error, attempt] = useAttempt();
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setDone("");
    const order = await attempt(
      ok(
        api.POST("/api/v1/orders", {
          body: {
            authority: authority.trim(),
            reference: reference.trim(),
            reasons: reasons.trim(),
            items: items.split(/[\s,]+/).filter(Boolean),
            received_at_ms: new Date(received).getTime(),
            notify,
          },
        }),
      ),
    );
    setBusy(false);
    if (order === undefined) return;
    setDone(t.orderRegistered(preciseDuration(order.execution_ms ?? 0)));
    setAuthority("");
    setReference("");
    setReasons("");
    setItems("");
    setReceived(localNow());
    await onDone();
  }
  const input = (name: string, label: string, value: string, set: (v: string) => void, max: number) => (
    <div class="field">
      <label for={`${id}-${name}`}>{label}</label>
      <input id={`${id}-${name}`} required maxLength={max} value={value} onInput={(e) => set(e.currentTarget.value)} />
    </div>
  );
  return (
    <form class="card wide order-form" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h2 id={`${id}-title`}>{t.newOrder}</h2>
      {input("authority", t.authority, authority, setAuthority, 200)}
      {input("reference", t.reference, reference, setReference, 200)}
      <div class="field">
        <label for={`${id}-reasons`}>{t.orderReasons}</label>
        <textarea id={`${id}-reasons`} required rows={3} maxLength={4000} value={reasons} onInput={(e) => setReasons(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${id}-items`}>{t.orderItems}</label>
        <textarea id={`${id}-items`} required rows={3} value={items} onInput={(e) => setItems(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${id}-received`}>{t.receivedAt}</label>
        <input id={`${id}-received`} type="datetime-local" step={1} required value={received} onInput={(e) => setReceived(e.currentTarget.value)} />
      </div>
      <label class="check">
        <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.currentTarget.checked)} /> {t.notifyUploader}
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      {done && <p role="status">{done}</p>}
      <div class="buttons start">
        <button type="submit" class="primary danger-fill" disabled={busy}>
          {t.registerOrder}
        </button>
      </div>
    </form>
  );
}
