// The caller's own place in a group or channel: leaving it, and for its owner handing the
// ownership to another member. Both ask first.
import { useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Member } from "../api/http";
import { t } from "../i18n";
import { me } from "../store";
import { Confirm } from "./Confirm";
import { useAttempt } from "./problems";

/** The owner picks a member, then confirms; the owner becomes an admin. */
export function TransferOwnership({ chat, members, onDone }: { chat: ChatListItem; members: Member[]; onDone: () => Promise<unknown> }) {
  const [to, setTo] = useState("");
  const [error, attempt] = useAttempt();
  const others = members.filter((m) => m.user_id !== me.value?.id);
  const chosen = others.find((m) => m.user_id === to);
  if (chat.my_role !== "owner" || others.length === 0) return null;
  const transfer = (user_id: string) =>
    attempt(ok(api.POST("/api/v1/chats/{chat_id}/transfer", { params: { path: { chat_id: chat.id } }, body: { user_id } })).then(onDone));
  return (
    <div class="setting">
      <label for="new-owner">{t.newOwner}</label>
      <div class="inline">
        <select id="new-owner" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
          <option value="">{t.chooseMember}</option>
          {others.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name} (@{m.username})
            </option>
          ))}
        </select>
        {chosen && <Confirm label={t.transferOwnership} text={t.transferConfirm(chosen.display_name)} danger onConfirm={() => transfer(chosen.user_id)} />}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

/** The server keeps an owner from leaving anyone behind without one (409): they are told to
 * hand the chat over instead of being offered a button that fails. Alone, they may leave. */
export function LeaveChat({ chat }: { chat: ChatListItem }) {
  const [error, attempt] = useAttempt();
  if (chat.kind === "direct") return null;
  if (chat.my_role === "owner" && chat.member_count > 1) return <p class="hint">{t.ownerLeaves}</p>;
  const channel = chat.kind === "channel";
  const text = chat.member_count <= 1 ? t.leaveLastConfirm(chat.title) : channel ? t.unsubscribeConfirm(chat.title) : t.leaveConfirm(chat.title);
  // Gone from the list by `chat.removed`, which also takes this screen away.
  const leave = () => attempt(ok(api.POST("/api/v1/chats/{chat_id}/leave", { params: { path: { chat_id: chat.id } } })));
  return (
    <>
      <Confirm label={channel ? t.unsubscribe : t.leaveGroup} text={text} danger onConfirm={leave} />
      {error && <p class="error" role="alert">{error}</p>}
    </>
  );
}
