import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, ok, type Pot, type Schemas } from "../../api/http";
import { lang, shortTime, t } from "../../i18n";
import { money } from "../../money";
import { me, names } from "../../store";
import { useAmountForm } from "./fields";
import { type CardElement, type PaymentConfig, type StripeJs, loadStripe, paid, paymentConfig } from "./stripe";

type Contribution = Schemas["Contribution"];

/** Payments started on this device and not yet confirmed, by pot: the page shows them (with
 * the way back to the checkout) until the provider's answer arrives, across reloads. */
const storageKey = (potId: string) => `colletta-payments-${potId}`;

function startedIds(potId: string): string[] {
  try {
    const ids: unknown = JSON.parse(localStorage.getItem(storageKey(potId)) ?? "[]");
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

function keepIds(potId: string, ids: string[]): void {
  if (ids.length) localStorage.setItem(storageKey(potId), JSON.stringify(ids));
  else localStorage.removeItem(storageKey(potId));
}

/** The contribution now, null once it is not ours to see (another user signed in here), or
 * the one we had when the server could not be asked. */
async function fetchContribution(known: Contribution | string): Promise<Contribution | null> {
  const id = typeof known === "string" ? known : known.id;
  try {
    return await ok(api.GET("/api/v1/contributions/{contribution_id}", { params: { path: { contribution_id: id } } }));
  } catch (caught) {
    if (caught instanceof ApiError && (caught.status === 404 || caught.status === 403)) return null;
    return typeof known === "string" ? null : known;
  }
}

function CheckoutLink({ url }: { url: string }) {
  return (
    <a class="button primary" href={url} target="_blank" rel="noopener">
      {t.continueToPayment} <span class="visually-hidden">{t.newTab}</span>
    </a>
  );
}

/** A card typed into Stripe's card element, ready to pay with. */
interface Card {
  stripe: StripeJs;
  element: CardElement;
  complete: boolean;
  error: string;
}

/** Stripe's card element, mounted once Stripe.js has loaded (on the first card form shown). */
function CardField({ stripe, holder }: { stripe: Schemas["StripeConfig"]; holder: { current: Card | null } }) {
  const target = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "failed">("loading");
  useEffect(() => {
    let gone = false;
    let element: CardElement | null = null;
    loadStripe(stripe).then(
      (loaded) => {
        if (gone || !target.current) return;
        element = loaded.elements({ locale: lang }).create("card");
        const card: Card = { stripe: loaded, element, complete: false, error: "" };
        element.on("change", (event) => {
          // Stripe says whether the card is complete; a stand-in that does not is trusted.
          card.complete = event?.complete ?? true;
          card.error = event?.error?.message ?? "";
        });
        element.mount(target.current);
        holder.current = card;
        setState("ready");
      },
      () => !gone && setState("failed"),
    );
    return () => {
      gone = true;
      element?.destroy();
      holder.current = null;
    };
  }, [stripe.js_url, stripe.publishable_key]);
  return (
    <div class="field card-field">
      <span id="contribution-card-label" class="label">{t.card}</span>
      <div ref={target} class="card-input" role="group" aria-labelledby="contribution-card-label" />
      {state === "loading" && <small class="hint">{t.cardLoading}</small>}
      {state === "failed" && <small class="error" role="alert">{t.cardUnavailable}</small>}
    </div>
  );
}

/** Contribute: the amount, then the provider's checkout in a new tab (the sandbox), or the
 * card right here, confirmed with Stripe.js (Stripe); the payment shows here as pending until
 * its confirmation arrives (pot.contribution_posted). */
export function Contribute({ pot, version }: { pot: Pot; version: number }) {
  const form = useAmountForm(pot.currency);
  const [started, setStarted] = useState<Contribution[]>([]);
  const [payments, setPayments] = useState<PaymentConfig | null>(null);
  const card = useRef<Card | null>(null);
  const [paying, setPaying] = useState(false);
  const [outcome, setOutcome] = useState<{ paid: boolean; text: string } | null>(null);
  useEffect(() => void paymentConfig().then(setPayments, () => undefined), []);

  async function refresh() {
    const ids = startedIds(pot.id);
    const found = await Promise.all(ids.map((id) => fetchContribution(started.find((c) => c.id === id) ?? id)));
    const known = found.filter((c): c is Contribution => c !== null);
    keepIds(pot.id, known.filter((c) => c.status === "pending").map((c) => c.id));
    setStarted(known);
  }
  useEffect(() => void refresh(), [pot.id, version]);
  useEffect(() => {
    // Back from the checkout's tab: a declined payment sends no event.
    const back = () => void refresh();
    addEventListener("focus", back);
    return () => removeEventListener("focus", back);
  }, [pot.id]);

  async function submit(event: Event) {
    event.preventDefault();
    setOutcome(null);
    let config = payments;
    if (!config) {
      try {
        config = await paymentConfig();
      } catch {
        setOutcome({ paid: false, text: t.error });
        return;
      }
      setPayments(config);
    }
    const taking = card.current;
    if (config.stripe) {
      if (!taking) {
        setOutcome({ paid: false, text: t.cardLoading }); // the card form is not there yet
        return;
      }
      if (!taking.complete) {
        setOutcome({ paid: false, text: taking.error || t.cardIncomplete });
        return;
      }
    }
    setPaying(true);
    try {
      const made = await form.send((amount_minor, client_id) =>
        ok(
          api.POST("/api/v1/pots/{pot_id}/contributions", {
            params: { path: { pot_id: pot.id } },
            body: { client_id, amount_minor, currency: pot.currency },
          }),
        ),
      );
      if (!made) return;
      keepIds(pot.id, [...startedIds(pot.id).filter((id) => id !== made.id), made.id]);
      setStarted((list) => [...list.filter((c) => c.id !== made.id), made]);
      if (config.stripe && taking) await payByCard(taking, made);
    } finally {
      setPaying(false);
    }
  }

  async function payByCard(taking: Card, made: Contribution) {
    if (!made.client_secret) {
      setOutcome({ paid: false, text: t.cardNoSecret });
      return;
    }
    const result = await taking.stripe
      .confirmCardPayment(made.client_secret, { payment_method: { card: taking.element } })
      .catch(() => ({ error: { message: t.error } }));
    if (paid(result)) {
      setOutcome({ paid: true, text: t.cardAccepted });
      taking.element.clear?.();
    } else {
      setOutcome({ paid: false, text: t.cardRefused(result.error?.message ?? "") });
    }
    await refresh();
  }

  const collecting = pot.status === "open" && !pot.frozen;
  return (
    <section class="card wide" aria-labelledby="pot-contribute">
      <h2 id="pot-contribute">{t.contributions}</h2>
      {collecting && (
        <form class="inline-form" onSubmit={submit}>
          {form.field("contribution-amount", t.amount)}
          {payments?.stripe && <CardField stripe={payments.stripe} holder={card} />}
          <button type="submit" class="primary" disabled={paying}>
            {paying ? t.paying : t.contribute}
          </button>
        </form>
      )}
      {form.error && <p class="error" role="alert">{form.error}</p>}
      {outcome && (
        <p class={outcome.paid ? "paid" : "error"} role={outcome.paid ? "status" : "alert"}>
          {outcome.text}
        </p>
      )}
      {started.length > 0 && (
        <>
          <h3>{t.yourPayments}</h3>
          <ul class="payments" aria-live="polite">
            {started.map((c) => (
              <li key={c.id}>
                <span class="grow">
                  {money(c.amount_minor, c.currency)} · {t.contributionStatus[c.status]}
                </span>
                {c.status === "pending" &&
                  (c.checkout_url ? <CheckoutLink url={c.checkout_url} /> : !payments?.stripe && <small>{t.noCheckout}</small>)}
              </li>
            ))}
          </ul>
        </>
      )}
      <ContributionList pot={pot} version={version} />
    </section>
  );
}

/** Confirmed contributions, named as the pot's visibility allows (always one's own). */
function ContributionList({ pot, version }: { pot: Pot; version: number }) {
  const [list, setList] = useState<Contribution[]>([]);
  const [next, setNext] = useState<string | null>(null);
  async function load(after?: string) {
    const page = await ok(
      api.GET("/api/v1/pots/{pot_id}/contributions", { params: { path: { pot_id: pot.id }, query: { after, limit: 100 } } }),
    );
    setList((shown) => (after ? [...shown, ...page.contributions] : page.contributions));
    setNext(page.next_after);
  }
  useEffect(() => void load().catch(() => undefined), [pot.id, version]);
  if (list.length === 0) return <p class="hint">{t.noContributions}</p>;
  const who = (c: Contribution) =>
    c.user_id === null ? t.anonymous : c.user_id === me.value?.id ? t.you : (names.value.get(c.user_id) ?? t.someone);
  return (
    <>
      <ul class="contributions">
        {list.map((c) => (
          <li key={c.id}>
            <span class="grow">{who(c)}</span>
            <span>{money(c.amount_minor, c.currency)}</span>
            {c.status !== "posted" && <small>{t.contributionStatus[c.status]}</small>}
            <time dateTime={new Date(c.posted_at_ms ?? c.created_at_ms).toISOString()}>{shortTime(c.posted_at_ms ?? c.created_at_ms)}</time>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => void load(next).catch(() => undefined)}>
          {t.showMore}
        </button>
      )}
    </>
  );
}
