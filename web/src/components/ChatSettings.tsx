// A chat's settings, to those who may change them: the auto-delete timer (either side of a
// direct chat), and for admins of a group or channel its title and description, slow mode,
// signed posts and who opens pots. Members see the changes through `chat.updated`.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Schemas } from "../api/http";
import { shortDuration, t } from "../i18n";
import { CHAT_TEXT } from "./NewChat";
import { isAdmin } from "./Pots";
import { useAttempt } from "./problems";
import { TextFields } from "./TextFields";

/** What clients offer for the chat timer (docs/media-and-expiry.md); off is 0. */
const CHAT_TTL_S = [0, 86_400, 7 * 86_400, 30 * 86_400];
const SLOW_MODE_S = [0, 10, 30, 60, 300, 3600];

function Timer(props: { id: string; label: string; value: number; options: number[]; onChange: (seconds: number) => void }) {
  return (
    <div class="setting">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={String(props.value)} onChange={(e) => props.onChange(Number(e.currentTarget.value))}>
        {[...new Set([...props.options, props.value])].map((seconds) => (
          <option key={seconds} value={String(seconds)}>
            {seconds ? shortDuration(seconds * 1000) : t.off}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The title and description as a form: typing changes nothing until saved. A change from
 * another admin replaces the draft. */
function Details({ chat, save }: { chat: ChatListItem; save: (patch: Schemas["ChatPatchIn"]) => Promise<unknown> }) {
  const [title, setTitle] = useState(chat.title);
  const [description, setDescription] = useState(chat.description);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setTitle(chat.title);
    setDescription(chat.description);
  }, [chat.title, chat.description]);
  async function submit(event: Event) {
    event.preventDefault();
    setSaved(false);
    setSaved((await save({ title: title.trim(), description: description.trim() })) !== undefined);
  }
  return (
    <form class="chat-details" onSubmit={submit}>
      <TextFields {...CHAT_TEXT} title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
      <div class="inline">
        <button type="submit">{t.save}</button>
        <span class="hint" role="status">
          {saved && title.trim() === chat.title && description.trim() === chat.description ? t.saved : ""}
        </span>
      </div>
    </form>
  );
}

export function ChatSettings({ chat }: { chat: ChatListItem }) {
  const [error, attempt] = useAttempt();
  const path = { chat_id: chat.id };
  const admin = isAdmin(chat);
  if (!admin && chat.kind !== "direct") return null;
  const patch = (body: Schemas["ChatPatchIn"]) => attempt(ok(api.PATCH("/api/v1/chats/{chat_id}", { params: { path }, body })));
  const timer = (
    <Timer
      id="chat-ttl"
      label={t.autoDelete}
      value={chat.message_ttl_s ?? 0}
      options={CHAT_TTL_S}
      onChange={(seconds) => void attempt(ok(api.PUT("/api/v1/chats/{chat_id}/message-ttl", { params: { path }, body: { message_ttl_s: seconds || null } })))}
    />
  );
  const shown = error && <p class="error" role="alert">{error}</p>;
  if (chat.kind === "direct") {
    return (
      <>
        {timer}
        {shown}
      </>
    );
  }
  return (
    <section class="chat-settings" aria-labelledby="chat-settings-heading">
      <h2 id="chat-settings-heading">{t.chatSettings}</h2>
      <Details chat={chat} save={patch} />
      {timer}
      {chat.kind === "group" && (
        <Timer id="slow-mode" label={t.slowMode} value={chat.slow_mode_s} options={SLOW_MODE_S} onChange={(seconds) => void patch({ slow_mode_s: seconds })} />
      )}
      {chat.kind === "channel" && (
        <label class="check">
          <input type="checkbox" checked={chat.signed_posts} onChange={(e) => void patch({ signed_posts: e.currentTarget.checked })} /> {t.signedPosts}
        </label>
      )}
      <label class="check">
        <input type="checkbox" checked={chat.members_create_pots} onChange={(e) => void patch({ members_create_pots: e.currentTarget.checked })} />{" "}
        {t.membersCreatePots}
      </label>
      {shown}
    </section>
  );
}
