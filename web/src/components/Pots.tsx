// A chat's pots as cards above its history (live: pot events update them). The pot screens
// themselves (new pot, contribute, votes, spending, ledger) load on demand: pots/PotScreens.
import { useEffect } from "preact/hooks";
import type { ChatListItem, Pot, PotSummary } from "../api/http";
import { shortDuration, longDate, t } from "../i18n";
import { money } from "../money";
import { clock, loadPots, pots } from "../store";
import { Link } from "./Link";

export function isAdmin(chat: ChatListItem): boolean {
  return chat.my_role === "owner" || chat.my_role === "admin";
}

/** Admins open pots in groups and channels; members too where the chat allows it. */
export function canOpenPots(chat: ChatListItem): boolean {
  return chat.kind !== "direct" && (isAdmin(chat) || chat.members_create_pots);
}

export function potPath(chatId: string, potId?: string, view?: "ledger" | "edit"): string {
  return `/chat/${chatId}/pots/${potId ?? "new"}${view ? `/${view}` : ""}`;
}

function full(pot: PotSummary | Pot): Pot | null {
  return "verdict" in pot ? pot : null;
}

function When({ pot }: { pot: PotSummary }) {
  if (pot.status !== "open") return <span>{t.potStatus[pot.status]}</span>;
  const left = pot.deadline_at_ms - clock.value;
  return (
    <span>
      <time dateTime={new Date(pot.deadline_at_ms).toISOString()} title={longDate(pot.deadline_at_ms)}>
        {left > 0 ? t.timeLeft(shortDuration(left)) : t.ended}
      </time>
    </span>
  );
}

/** Progress, goal, deadline, contributors and status; to its organiser and the chat's admins
 * also the screening verdict and its reason. `link`: the card names the pot and opens it. */
export function PotCard({ pot, link }: { pot: PotSummary | Pot; link?: string }) {
  const detail = full(pot);
  const verdict = detail?.verdict ?? null;
  const titleId = `pot-${pot.id}-title`;
  return (
    <article class="pot-card" aria-labelledby={link ? titleId : undefined} aria-label={link ? undefined : pot.title} data-pot-id={pot.id}>
      {link && (
        <h2 class="pot-title" id={titleId}>
          <Link to={link}>{pot.title}</Link>
        </h2>
      )}
      <progress max={pot.goal_minor} value={Math.min(pot.raised_minor, pot.goal_minor)} aria-label={t.progressOf(pot.title)} />
      <p class="pot-amounts">{t.raisedOf(money(pot.raised_minor, pot.currency), money(pot.goal_minor, pot.currency))}</p>
      <p class="pot-meta">
        {t.contributors(pot.contributor_count)} · <When pot={pot} />
      </p>
      {(pot.status !== "open" || pot.frozen || pot.payouts_held) && (
        <p class="badges">
          {pot.status !== "open" && <span class={`badge-pot ${pot.status}`}>{t.potStatus[pot.status]}</span>}
          {pot.frozen && <span class="badge-pot warn">{t.frozen}</span>}
          {pot.payouts_held && <span class="badge-pot warn">{t.payoutsHeld}</span>}
        </p>
      )}
      {verdict && (
        <p class={`verdict ${verdict.outcome}`}>
          {t.screening}: {t.verdicts[verdict.outcome]}
          {verdict.reason && ` — ${verdict.reason}`}
        </p>
      )}
      {detail?.frozen_reason && <p class="verdict hold">{t.frozenBecause(detail.frozen_reason)}</p>}
      {detail !== null && detail.mine_minor > 0 && <p class="pot-mine">{t.youGave(money(detail.mine_minor, pot.currency))}</p>}
    </article>
  );
}

const RANK: Record<string, number> = { open: 0, closed: 1, refunding: 2, settled: 3 };

/** The chat's pots, the running ones first, newest first. */
export function PotStrip({ chat }: { chat: ChatListItem }) {
  const loaded = pots.value.get(chat.id);
  useEffect(() => {
    if (chat.kind !== "direct" && loaded === undefined) void loadPots(chat.id).catch(() => undefined);
  }, [chat.id, loaded === undefined]);
  if (loaded === undefined || loaded.size === 0) return null;
  const list = [...loaded.values()].sort(
    (a, b) => (RANK[a.status] ?? 0) - (RANK[b.status] ?? 0) || b.created_at_ms - a.created_at_ms,
  );
  return (
    <section class="pot-strip" aria-label={t.pots}>
      <ul>
        {list.map((pot) => (
          <li key={pot.id}>
            <PotCard pot={pot} link={potPath(chat.id, pot.id)} />
          </li>
        ))}
      </ul>
    </section>
  );
}
