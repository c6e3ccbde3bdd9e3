// Messages the user sent that the server has not confirmed yet. They are kept in
// localStorage, per user, as well as on screen: a tab closed (or a browser quit) while the
// network or the server is away loses nothing, because the next start of the client sends
// them again with the same client_txn_id, which the server stores once (docs/web.md).
import { signal } from "@preact/signals";
import { ApiError, api, ok } from "./api/http";
import { t } from "./i18n";
import { history, merge } from "./store";

export interface Outgoing {
  txn: string;
  chatId: string;
  text: string;
  replyTo: string | null;
  selfDestructS: number | null;
  attachments: string[];
  viewOnce: boolean;
  /** Why the server refused it: it stays on screen, to send again or discard. */
  refused?: string;
}

/** What this tab shows as pending, in the order it was written. */
export const outbox = signal<Outgoing[]>([]);
/** Sends this tab is making: a resume must not start a second loop for one of them. */
const sending = new Set<string>();
let owner: string | null = null;

const storageKey = (userId: string) => `colletta.outbox.${userId}`;

function stored(userId: string): Outgoing[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(storageKey(userId)) ?? "[]");
    return Array.isArray(parsed) ? (parsed as Outgoing[]) : [];
  } catch {
    return [];
  }
}

// Storage is read afresh at each change: another tab of the same user may have added or
// confirmed sends of its own since.
function rewrite(change: (list: Outgoing[]) => Outgoing[]): void {
  if (!owner) return;
  const list = change(stored(owner));
  if (list.length) localStorage.setItem(storageKey(owner), JSON.stringify(list));
  else localStorage.removeItem(storageKey(owner));
}

function keep(item: Outgoing): void {
  rewrite((list) => [...list.filter((o) => o.txn !== item.txn), item]);
  const at = outbox.value.findIndex((o) => o.txn === item.txn);
  outbox.value = at < 0 ? [...outbox.value, item] : outbox.value.map((o, i) => (i === at ? item : o));
}

/** Discard a send the server refused. */
export function forget(txn: string): void {
  rewrite((list) => list.filter((o) => o.txn !== txn));
  outbox.value = outbox.value.filter((o) => o.txn !== txn);
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POST the message until the server has it: network drops and outages retry with the same
 * client_txn_id, so the server stores it once whatever happens. */
export async function deliver(send: Outgoing): Promise<void> {
  if (sending.has(send.txn)) return;
  sending.add(send.txn);
  const { refused: _, ...item } = send;
  keep(item);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const message = await ok(
          api.POST("/api/v1/chats/{chat_id}/messages", {
            params: { path: { chat_id: item.chatId } },
            body: {
              text: item.text || null,
              attachments: item.attachments.length ? item.attachments : null,
              client_txn_id: item.txn,
              reply_to_id: item.replyTo,
              self_destruct_s: item.selfDestructS,
              view_once: item.viewOnce,
            },
          }),
        );
        const state = history(item.chatId);
        if (state.value.loaded) state.value = { ...state.value, messages: merge(state.value.messages, [message]) };
        break;
      } catch (error) {
        // Signed out: the session's end decides what becomes of the unsent (followOwner).
        if (error instanceof ApiError && error.status === 401) return;
        const retry = error instanceof ApiError && (error.status === 0 || error.status >= 500 || error.status === 429);
        if (!retry) {
          keep({ ...item, refused: error instanceof ApiError ? error.message : t.error });
          return;
        }
        await wait(Math.min(5000, 500 * 2 ** attempt));
      }
    }
    forget(item.txn);
  } finally {
    sending.delete(item.txn);
  }
}

/** Follow who is signed in: at sign-in, send again what an earlier visit left unsent; at
 * sign-out, drop it from this device (it never left it, and the device may be shared). */
export function followOwner(userId: string | null): void {
  if (userId === owner) return;
  if (owner && userId === null) localStorage.removeItem(storageKey(owner));
  owner = userId;
  outbox.value = [];
  for (const item of userId ? stored(userId) : []) {
    if (item.refused) keep(item);
    else void deliver(item);
  }
}
