// A reply's quote of the message it answers, and the jump to a message (from a quote or the
// pinned bar), which the open chat's list carries out.
import { useEffect } from "preact/hooks";
import { signal } from "@preact/signals";
import { ApiError, api, ok, type Message } from "../api/http";
import { t } from "../i18n";
import { preview } from "./ChatList";

/** A message to bring into view (a reply's quote, the pinned bar): the open list does it. */
export const jumpTarget = signal<string | null>(null);

/** Messages quoted by replies but not in the loaded history, read once each: a reply shows
 * what it answers however far back that is. (A copy read here does not follow later edits;
 * once the history reaches it, the loaded message is shown instead.) */
const quoted = signal<Map<string, Message | "reading" | "gone">>(new Map());

function readQuoted(chatId: string, messageId: string): void {
  if (quoted.value.has(messageId)) return;
  const settle = (found: Message | "gone" | null) => {
    const next = new Map(quoted.value);
    if (found === null) next.delete(messageId); // a network failure: read again next time
    else next.set(messageId, found);
    quoted.value = next;
  };
  quoted.value = new Map(quoted.value).set(messageId, "reading");
  ok(api.GET("/api/v1/chats/{chat_id}/messages/{message_id}", { params: { path: { chat_id: chatId, message_id: messageId } } })).then(settle, (error) =>
    settle(error instanceof ApiError && error.status === 404 ? "gone" : null),
  );
}

export function Quote({ chatId, messageId, loaded }: { chatId: string; messageId: string; loaded: Message | undefined }) {
  useEffect(() => {
    if (loaded === undefined) readQuoted(chatId, messageId);
  }, [chatId, messageId, loaded === undefined]);
  const replied = loaded ?? quoted.value.get(messageId);
  const shown = replied === "reading" || replied === undefined ? "…" : replied === "gone" || replied.deleted ? t.deleted : preview(replied) || "📎";
  return (
    <button type="button" class="quote" onClick={() => (jumpTarget.value = messageId)}>
      {t.replyingTo}: {shown}
    </button>
  );
}

/** A quote's copy of a message, when one was read. */
export function quotedCopy(messageId: string): Message | null {
  const copy = quoted.value.get(messageId);
  return typeof copy === "object" ? copy : null;
}
