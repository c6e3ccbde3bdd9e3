import { useState } from "preact/hooks";
import type { ChatListItem, Message } from "../api/http";
import { shortTime, t } from "../i18n";
import { plainText } from "../markup";
import { chatList, me, navigate, routeChatId, timed } from "../store";

/** A message in a line: the chat list's last message, a reply's quote. */
export function preview(message: Message | null): string {
  if (message === null) return "";
  if (message.deleted) return timed(message) ? "" : t.deleted;
  if (message.from_blocked) return t.fromBlocked;
  if (message.text) return plainText(message.text, message.entities);
  if (message.attachments.length) return `📎 ${message.attachments[0]?.filename ?? ""}`;
  return "";
}

function Row({ chat, current }: { chat: ChatListItem; current: boolean }) {
  const last = chat.last_message;
  const mine = last?.sender_id != null && last.sender_id === me.value?.id;
  return (
    <li>
      <a
        href={`/chat/${chat.id}`}
        class={current ? "chat-row current" : "chat-row"}
        aria-current={current ? "page" : undefined}
        data-chat-id={chat.id}
        onClick={(e) => {
          e.preventDefault();
          navigate(`/chat/${chat.id}`);
        }}
      >
        <span class="avatar" aria-hidden="true">
          {Array.from(chat.title)[0]?.toUpperCase() ?? "?"}
        </span>
        <span class="chat-main">
          <span class="chat-title">{chat.title}</span>
          <span class="chat-last">
            {mine ? `${t.you}: ` : ""}
            {preview(last)}
          </span>
        </span>
        <span class="chat-meta">
          {last && <time dateTime={new Date(last.created_at_ms).toISOString()}>{shortTime(last.created_at_ms)}</time>}
          {chat.unread_count > 0 && (
            <span class="badge" aria-label={t.unread(chat.unread_count)}>
              {chat.unread_count}
            </span>
          )}
        </span>
      </a>
    </li>
  );
}

export function ChatList() {
  const [query, setQuery] = useState("");
  const needle = query.trim().toLocaleLowerCase();
  const all = chatList.value;
  const shown = needle ? all.filter((c) => c.title.toLocaleLowerCase().includes(needle)) : all;
  const current = routeChatId();
  return (
    <nav class="chat-list" aria-label={t.chats}>
      <div class="list-tools">
        <label class="visually-hidden" for="chat-search">
          {t.searchChats}
        </label>
        <input
          id="chat-search"
          type="search"
          placeholder={t.searchChats}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      {shown.length === 0 ? (
        <p class="empty">{all.length === 0 ? t.noChats : t.noMatches}</p>
      ) : (
        <ul>
          {shown.map((chat) => (
            <Row key={chat.id} chat={chat} current={chat.id === current} />
          ))}
        </ul>
      )}
    </nav>
  );
}
