import { useEffect, useState } from "preact/hooks";
import { ApiError, api, ok, type Pot, type Schemas } from "../../api/http";
import { shortTime, t } from "../../i18n";
import { money } from "../../money";
import { me, names } from "../../store";
import { useAmountForm } from "./fields";

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

/** Contribute: the amount, then the provider's checkout in a new tab; the payment shows here
 * as pending until its confirmation arrives (pot.contribution_posted). */
export function Contribute({ pot, version }: { pot: Pot; version: number }) {
  const form = useAmountForm(pot.currency);
  const [started, setStarted] = useState<Contribution[]>([]);

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
  }

  const collecting = pot.status === "open" && !pot.frozen;
  return (
    <section class="card wide" aria-labelledby="pot-contribute">
      <h2 id="pot-contribute">{t.contributions}</h2>
      {collecting && (
        <form class="inline-form" onSubmit={submit}>
          {form.field("contribution-amount", t.amount)}
          <button type="submit" class="primary">{t.contribute}</button>
        </form>
      )}
      {form.error && <p class="error" role="alert">{form.error}</p>}
      {started.length > 0 && (
        <>
          <h3>{t.yourPayments}</h3>
          <ul class="payments" aria-live="polite">
            {started.map((c) => (
              <li key={c.id}>
                <span class="grow">
                  {money(c.amount_minor, c.currency)} · {t.contributionStatus[c.status]}
                </span>
                {c.status === "pending" && (c.checkout_url ? <CheckoutLink url={c.checkout_url} /> : <small>{t.noCheckout}</small>)}
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
