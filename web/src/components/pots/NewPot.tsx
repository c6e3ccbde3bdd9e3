import { useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Schemas } from "../../api/http";
import { t } from "../../i18n";
import { CURRENCIES } from "../../money";
import { navigate, setPot } from "../../store";
import { useAttempt } from "../problems";
import { TextFields } from "../TextFields";
import { Link } from "../Link";
import { potPath } from "../Pots";
import { AmountField, amountsOf, ItemRows, itemsToSend, OptionRows, POT_TEXT, type ItemDraft, type OptionDraft } from "./fields";

type PotIn = Schemas["PotIn"];

/** yyyy-mm-dd of a day, local time: what a date input holds. */
function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The end of that day, local time: a pot collects through its deadline's day. */
function endOfDay(day: string): number {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y!, m! - 1, d!, 23, 59, 59, 999).getTime();
}

function Choice<T extends string>(props: { legend: string; name: string; value: T; options: Record<string, string>; onChange: (v: T) => void }) {
  return (
    <fieldset class="choices">
      <legend>{props.legend}</legend>
      {Object.entries(props.options).map(([value, label]) => (
        <label key={value}>
          <input type="radio" name={props.name} checked={props.value === value} onChange={() => props.onChange(value as T)} /> {label}
        </label>
      ))}
    </fieldset>
  );
}

export function NewPot({ chat }: { chat: ChatListItem }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [currency, setCurrency] = useState("EUR");
  const [goal, setGoal] = useState("");
  const [memberCap, setMemberCap] = useState("");
  const [potCap, setPotCap] = useState("");
  const [deadline, setDeadline] = useState(dayOf(new Date(Date.now() + 14 * 86_400_000)));
  const [model, setModel] = useState<PotIn["model"]>("keep_what_you_raise");
  const [visibility, setVisibility] = useState<PotIn["visibility"]>("named");
  const [weighting, setWeighting] = useState<PotIn["vote_weighting"]>("member");
  const [items, setItems] = useState<ItemDraft[]>([]);
  const [options, setOptions] = useState<OptionDraft[]>([]);
  const [sent, setSent] = useState(false);
  const [error, attempt, setError] = useAttempt();

  async function submit(event: Event) {
    event.preventDefault();
    setSent(true);
    const amounts = amountsOf([goal, memberCap, potCap, ...items.map((i) => i.price)], currency);
    if ("error" in amounts) return setError(amounts.error);
    const [goalMinor, memberCapMinor, potCapMinor, ...prices] = amounts;
    if (goalMinor == null) return;
    const deadlineMs = endOfDay(deadline);
    if (!(deadlineMs > Date.now())) return setError(t.deadlinePast);
    const body: PotIn = {
      title: title.trim(),
      description: description.trim(),
      currency,
      goal_minor: goalMinor,
      deadline_at_ms: deadlineMs,
      model,
      visibility,
      vote_weighting: weighting,
      member_cap_minor: memberCapMinor ?? null,
      pot_cap_minor: potCapMinor ?? null,
      // The server's defaults (docs/spending.md): a vote needs half of the eligible weight to
      // vote and more than half of what was cast to approve, within three days.
      quorum_pct: 50,
      majority_pct: 50,
      proposal_window_s: 3 * 86_400,
      items: itemsToSend(items, prices),
      options: options.map((o) => o.title.trim()).filter(Boolean),
    };
    const pot = await attempt(ok(api.POST("/api/v1/chats/{chat_id}/pots", { params: { path: { chat_id: chat.id } }, body })));
    if (pot) {
      setPot(chat.id, pot);
      navigate(potPath(chat.id, pot.id), true);
    }
  }

  const amount = (id: string, label: string, value: string, set: (v: string) => void, required = false) => (
    <AmountField id={id} label={label} currency={currency} value={value} onInput={set} required={required} showError={sent} />
  );
  return (
    <main class="page" aria-labelledby="new-pot-title">
      <Link to={`/chat/${chat.id}`} class="back-link">← {chat.title}</Link>
      <form class="card pot-form" onSubmit={submit}>
        <h1 id="new-pot-title">{t.newPot}</h1>
        <TextFields {...POT_TEXT} title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
        <div class="field">
          <label for="pot-currency">{t.currency}</label>
          <select id="pot-currency" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
            {Object.keys(CURRENCIES).map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </div>
        {amount("pot-goal", t.goal, goal, setGoal, true)}
        <div class="field">
          <label for="pot-deadline">{t.deadline}</label>
          <input id="pot-deadline" type="date" required min={dayOf(new Date())} value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />
        </div>
        <Choice legend={t.ifGoalMissed} name="model" value={model} options={t.models} onChange={setModel} />
        <Choice legend={t.contributorsShown} name="visibility" value={visibility} options={t.visibilities} onChange={setVisibility} />
        <Choice legend={t.weighting} name="weighting" value={weighting} options={t.weightings} onChange={setWeighting} />
        {amount("pot-member-cap", t.memberCap, memberCap, setMemberCap)}
        {amount("pot-cap", t.potCap, potCap, setPotCap)}
        <ItemRows items={items} setItems={setItems} currency={currency} showError={sent} />
        <OptionRows legend={t.options} options={options} setOptions={setOptions} />
        {error && <p class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={() => navigate(`/chat/${chat.id}`)}>{t.cancel}</button>
          <button type="submit" class="primary">{t.create}</button>
        </div>
      </form>
    </main>
  );
}
