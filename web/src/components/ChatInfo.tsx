import { useEffect, useState } from "preact/hooks";
import { ApiError, api, ok, type ChatListItem, type Member } from "../api/http";
import { shortDuration, t } from "../i18n";
import { rememberName } from "../store";

/** What clients offer for the chat timer (docs/media-and-expiry.md); off is 0. */
const CHAT_TTL_S = [0, 86_400, 7 * 86_400, 30 * 86_400];

/** Members of a group or channel, and adding one by username (admins). */
export function ChatInfo({ chat }: { chat: ChatListItem }) {
  const [members, setMembers] = useState<Member[]>([]);
  const [username, setUsername] = useState("");
  const [error, setError] = useState("");
  const admin = chat.my_role === "owner" || chat.my_role === "admin";
  const path = { chat_id: chat.id };

  async function load() {
    if (chat.kind === "direct") return;
    const page = await ok(api.GET("/api/v1/chats/{chat_id}/members", { params: { path, query: { limit: 200 } } }));
    page.members.forEach((m) => rememberName(m.user_id, m.display_name));
    setMembers(page.members);
  }
  useEffect(() => {
    void load().catch(() => setMembers([]));
  }, [chat.id, chat.member_count]);

  async function add(event: Event) {
    event.preventDefault();
    setError("");
    try {
      const name = username.trim().toLowerCase();
      const found = await ok(api.GET("/api/v1/users", { params: { query: { prefix: name, limit: 5 } } }));
      const user = found.users.find((u) => u.username === name);
      if (!user) throw new ApiError(404, "not_found", `@${name}?`);
      await ok(api.POST("/api/v1/chats/{chat_id}/members", { params: { path }, body: { user_id: user.id } }));
      setUsername("");
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t.error);
    }
  }

  return (
    <section class="chat-info" aria-label={chat.title}>
      {chat.description && <p>{chat.description}</p>}
      {members.length > 0 && (
        <ul class="members">
          {members.map((m) => (
            <li key={m.user_id}>
              {m.display_name} <small>@{m.username} · {m.role}</small>
            </li>
          ))}
        </ul>
      )}
      {(admin || chat.kind === "direct") && (
        <div class="field inline">
          <label for="chat-ttl">{t.autoDelete}</label>
          <select
            id="chat-ttl"
            value={String(chat.message_ttl_s ?? 0)}
            onChange={(e) => {
              const seconds = Number(e.currentTarget.value);
              void ok(api.PUT("/api/v1/chats/{chat_id}/message-ttl", { params: { path }, body: { message_ttl_s: seconds || null } })).catch(
                (caught) => setError(caught instanceof ApiError ? caught.message : t.error),
              );
            }}
          >
            {[...new Set([...CHAT_TTL_S, chat.message_ttl_s ?? 0])].map((seconds) => (
              <option key={seconds} value={String(seconds)}>
                {seconds ? shortDuration(seconds * 1000) : t.timerOff}
              </option>
            ))}
          </select>
        </div>
      )}
      {admin && chat.kind !== "direct" && (
        <form class="inline" onSubmit={add}>
          <label for="add-member">{t.addMember}</label>
          <input id="add-member" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
          <button type="submit">{t.add}</button>
        </form>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
