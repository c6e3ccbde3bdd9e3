// Who was removed from a chat and may not rejoin by themselves (through a link, a request or
// subscribing) until an admin lifts the ban; lifting it does not add them back. Admins only.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Schemas } from "../api/http";
import { stamp, t } from "../i18n";
import { useAttempt } from "./problems";

export function Bans({ chat }: { chat: ChatListItem }) {
  const [bans, setBans] = useState<Schemas["Ban"][]>([]);
  const [error, attempt] = useAttempt();
  const path = { chat_id: chat.id };
  const load = async () => setBans((await ok(api.GET("/api/v1/chats/{chat_id}/bans", { params: { path } }))).bans);
  // A removal changes the member count: the list has grown.
  useEffect(() => {
    void load().catch(() => setBans([]));
  }, [chat.id, chat.member_count]);
  if (bans.length === 0 && !error) return null;
  const lift = (ban: Schemas["Ban"]) =>
    attempt(ok(api.DELETE("/api/v1/chats/{chat_id}/bans/{user_id}", { params: { path: { ...path, user_id: ban.user_id } } })).then(load));
  return (
    <section class="bans" aria-labelledby="bans-heading">
      <h2 id="bans-heading">{t.bans}</h2>
      <p class="hint">{t.bansHint}</p>
      <ul>
        {bans.map((ban) => (
          <li key={ban.user_id}>
            <span class="grow">
              @{ban.username} <small class="hint">{t.removedOn(stamp(ban.created_at_ms))}</small>
            </span>
            <button type="button" onClick={() => void lift(ban)}>
              {t.unban(ban.username)}
            </button>
          </li>
        ))}
      </ul>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
