// What the organiser (and the chat's admins) do with a pot after opening it: edit it, stop
// collecting, finish, refund everyone; the operator's freeze and unfreeze; and, to them, why
// a pot is frozen or its payouts held (docs/pots.md, docs/trust-and-safety.md).
import { useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Pot, type Schemas } from "../../api/http";
import { t } from "../../i18n";
import { decimalOf } from "../../money";
import { loadPot, me, navigate, setPot } from "../../store";
import { Confirm } from "../Confirm";
import { Link } from "../Link";
import { useAttempt } from "../problems";
import { TextFields } from "../TextFields";
import { isAdmin, potPath } from "../Pots";
import { amountsOf, ItemRows, itemsToSend, newItem, OptionRows, POT_TEXT, type ItemDraft, type OptionDraft } from "./fields";

type PotState = Schemas["PotState"];

/** A reason as part of our sentence: without its own full stop. */
const withoutStop = (reason: string) => reason.trim().replace(/\.+$/, "");

/** The organiser's and the operator's actions, shown to them only; the server decides. */
export function Manage({ chat, pot }: { chat: ChatListItem; pot: Pot }) {
  const [error, attempt] = useAttempt();
  const user = me.value;
  const manager = user !== null && (pot.created_by === user.id || isAdmin(chat));
  const operator = user?.is_operator ?? false;
  if (!manager && !operator) return null;
  const running = pot.status === "open" || pot.status === "closed";
  const path = { params: { path: { pot_id: pot.id } } };
  async function act(call: Promise<{ data?: PotState; error?: unknown; response: Response }>) {
    const state = await attempt(ok(call));
    if (state === undefined) return;
    setPot(chat.id, { ...pot, ...state });
    await loadPot(pot.id).catch(() => undefined);
  }
  return (
    <section class="card wide manage" aria-labelledby="pot-manage">
      <h2 id="pot-manage">{t.manage}</h2>
      {pot.frozen && <p class="verdict hold">{t.frozenExplained(withoutStop(pot.frozen_reason ?? ""))}</p>}
      {pot.payouts_held && <p class="verdict review">{t.heldExplained(withoutStop(pot.verdict?.reason ?? ""))}</p>}
      <div class="actions">
        {manager && running && <Link to={potPath(chat.id, pot.id, "edit")} class="button">{t.editPot}</Link>}
        {manager && pot.status === "open" && !pot.frozen && (
          <Confirm label={t.closePot} text={t.closeConfirm} onConfirm={() => act(api.POST("/api/v1/pots/{pot_id}/close", path))} />
        )}
        {manager && pot.status === "closed" && !pot.frozen && (
          <Confirm label={t.finishPot} text={t.finishConfirm} onConfirm={() => act(api.POST("/api/v1/pots/{pot_id}/finish", path))} />
        )}
        {running && (operator || !pot.frozen) && (
          <Confirm label={t.refundAll} text={t.refundConfirm} danger onConfirm={() => act(api.POST("/api/v1/pots/{pot_id}/refund-all", path))} />
        )}
        {operator && running && !pot.frozen && (
          <Confirm
            label={t.freeze}
            text={t.freezeConfirm}
            danger
            reason={t.freezeReason}
            onConfirm={(reason) => act(api.POST("/api/v1/pots/{pot_id}/freeze", { ...path, body: { reason } }))}
          />
        )}
        {operator && pot.frozen && pot.status !== "settled" && (
          <Confirm label={t.unfreeze} text={t.unfreezeConfirm} onConfirm={() => act(api.POST("/api/v1/pots/{pot_id}/unfreeze", path))} />
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

/** Edit the title, description and items, and add options; every edit is screened again,
 * and a refusal says why. */
export function EditPot({ chat, pot }: { chat: ChatListItem; pot: Pot }) {
  const [title, setTitle] = useState(pot.title);
  const [description, setDescription] = useState(pot.description);
  const [items, setItems] = useState<ItemDraft[]>(() =>
    pot.items.map((item) => newItem(item.what, String(item.quantity), decimalOf(item.price_minor, pot.currency))),
  );
  const [options, setOptions] = useState<OptionDraft[]>([]);
  const [sent, setSent] = useState(false);
  const [error, attempt, setError] = useAttempt();
  const back = potPath(chat.id, pot.id);

  async function submit(event: Event) {
    event.preventDefault();
    setSent(true);
    const prices = amountsOf(items.map((i) => i.price), pot.currency);
    if ("error" in prices) return setError(prices.error);
    const body = {
      title: title.trim(),
      description: description.trim(),
      items: itemsToSend(items, prices),
      options: options.map((o) => o.title.trim()).filter(Boolean),
    };
    const next = await attempt(ok(api.PATCH("/api/v1/pots/{pot_id}", { params: { path: { pot_id: pot.id } }, body })));
    if (next) {
      setPot(chat.id, next);
      navigate(back, true);
    }
  }

  return (
    <main class="page" aria-labelledby="edit-pot-title">
      <Link to={back} class="back-link">← {pot.title}</Link>
      <form class="card pot-form" onSubmit={submit}>
        <h1 id="edit-pot-title">{t.editTitle(pot.title)}</h1>
        <TextFields {...POT_TEXT} title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
        <ItemRows items={items} setItems={setItems} currency={pot.currency} showError={sent} />
        {pot.options.length > 0 && (
          <ul class="hint existing-options" aria-label={t.options}>
            {pot.options.map((option) => (
              <li key={option.id}>{option.title}</li>
            ))}
          </ul>
        )}
        <OptionRows legend={t.newOptions} options={options} setOptions={setOptions} first={pot.options.length} />
        {error && <p class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={() => navigate(back)}>{t.cancel}</button>
          <button type="submit" class="primary">{t.saveChanges}</button>
        </div>
      </form>
    </main>
  );
}
