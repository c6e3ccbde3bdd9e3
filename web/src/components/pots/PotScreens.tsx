// The pot screens, loaded on demand (App.tsx): a new pot, one pot (contribute, options,
// spending, where my money went) and its ledger. Each refetches what it shows when an event
// of its pot arrives (store.potVersion), so every open screen follows live.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Pot } from "../../api/http";
import { t } from "../../i18n";
import { money } from "../../money";
import { chats, loadMemberNames, me, loadPot, loadPots, pots, potVersion, setPot, type PotRoute } from "../../store";
import { problemText, useAttempt } from "../problems";
import { Link } from "../Link";
import { PotCard, potPath } from "../Pots";
import { ReportButton } from "../Report";
import { Contribute } from "./Contribute";
import { EditPot, Manage } from "./Manage";
import { LedgerPage } from "./Ledger";
import { NewPot } from "./NewPot";
import { MyShare, Spending } from "./Spending";

export function PotScreen({ route }: { route: PotRoute }) {
  const chat = chats.value.get(route.chatId);
  if (chat === undefined) return <main class="page" aria-label={t.pots} />;
  if (route.potId === null) return <NewPot chat={chat} />;
  return <PotPage chat={chat} potId={route.potId} view={route.view} />;
}

/** The pot's full view from the store, fetched again at each of its events. */
function useLivePot(chat: ChatListItem, potId: string): [Pot | null, string, number] {
  const version = potVersion.value.get(potId) ?? 0;
  const [error, setError] = useState("");
  useEffect(() => {
    const first = pots.value.has(chat.id) ? Promise.resolve() : loadPots(chat.id);
    first.then(() => loadPot(potId)).catch((caught) => setError(problemText(caught)));
  }, [potId, version]);
  useEffect(() => void loadMemberNames(chat.id).catch(() => undefined), [chat.id]);
  const stored = pots.value.get(chat.id)?.get(potId);
  return [stored !== undefined && "verdict" in stored ? stored : null, error, version];
}

function PotPage({ chat, potId, view }: { chat: ChatListItem; potId: string; view: PotRoute["view"] }) {
  const [pot, error, version] = useLivePot(chat, potId);
  if (pot === null) {
    return (
      <main class="page" aria-label={t.pots} aria-busy={!error}>
        <Link to={`/chat/${chat.id}`} class="back-link">← {chat.title}</Link>
        <p class={error ? "error" : "hint"} role={error ? "alert" : "status"}>{error || t.loading}</p>
      </main>
    );
  }
  if (view === "ledger") return <LedgerPage chat={chat} pot={pot} version={version} />;
  if (view === "edit") return <EditPot chat={chat} pot={pot} />;
  return (
    <main class="page pot-page" aria-labelledby="pot-title">
      <Link to={`/chat/${chat.id}`} class="back-link">← {chat.title}</Link>
      <h1 id="pot-title">{pot.title}</h1>
      <PotCard pot={pot} />
      {pot.description && <p class="pot-description">{pot.description}</p>}
      <p class="hint">
        {t.models[pot.model]} · {t.visibilities[pot.visibility]} · {t.weightings[pot.vote_weighting]}
      </p>
      <Manage chat={chat} pot={pot} />
      <Items pot={pot} />
      <Contribute pot={pot} version={version} />
      <Options pot={pot} />
      <Spending chat={chat} pot={pot} version={version} />
      <MyShare pot={pot} version={version} />
      <p>
        <Link to={potPath(chat.id, pot.id, "ledger")}>{t.openLedger}</Link>
      </p>
      {pot.created_by !== me.value?.id && (
        <p>
          <ReportButton target={{ subject: "pot", subjectId: pot.id, name: pot.title }} label={t.reportPot} />
        </p>
      )}
    </main>
  );
}

function Items({ pot }: { pot: Pot }) {
  if (pot.items.length === 0) return null;
  const total = pot.items.reduce((sum, item) => sum + item.quantity * item.price_minor, 0);
  return (
    <section class="card wide" aria-labelledby="pot-items">
      <h2 id="pot-items">{t.items}</h2>
      <table class="items">
        <thead>
          <tr>
            <th scope="col">{t.itemWhat}</th>
            <th scope="col" class="num">{t.itemQuantity}</th>
            <th scope="col" class="num">{t.itemPrice}</th>
          </tr>
        </thead>
        <tbody>
          {pot.items.map((item, i) => (
            <tr key={i}>
              <td>{item.what}</td>
              <td class="num">{item.quantity}</td>
              <td class="num">{money(item.price_minor, pot.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>{t.total}</th>
            <td class="num">{money(total, pot.currency)}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

/** One vote per member on what to buy, with the tallies. */
function Options({ pot }: { pot: Pot }) {
  const [error, attempt] = useAttempt();
  if (pot.options.length === 0) return null;
  const weighted = pot.vote_weighting === "contribution";
  async function vote(optionId: string) {
    const next = await attempt(ok(api.POST("/api/v1/pots/{pot_id}/option-votes", { params: { path: { pot_id: pot.id } }, body: { option_id: optionId } })));
    if (next) setPot(pot.chat_id, next);
  }
  return (
    <section class="card wide" aria-labelledby="pot-options">
      <h2 id="pot-options">{t.options}</h2>
      <ul class="options">
        {pot.options.map((option) => {
          const mine = pot.my_option_id === option.id;
          return (
            <li key={option.id} class={mine ? "mine" : undefined} data-option-id={option.id}>
              <span class="grow">
                {option.title}
                {mine && <small> ({t.yourVote})</small>}
              </span>
              <span class="tally">
                {t.votes(option.votes)}
                {weighted && ` · ${money(option.weight, pot.currency)}`}
              </span>
              {pot.my_option_id === null && (
                <button type="button" aria-label={t.voteFor(option.title)} onClick={() => void vote(option.id)}>
                  {t.vote}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
