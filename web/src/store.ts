// The client's state: who is signed in, the chats, the loaded messages of each chat, and
// the live connection. Live events update it in one place (applyEvent).
import { computed, signal, batch, type Signal } from "@preact/signals";
import {
  api,
  ok,
  whenUnauthenticated,
  type ChatListItem,
  type Message,
  type Pot,
  type PotSummary,
  type Notice,
  type Schemas,
  type User,
} from "./api/http";
import { Live, type LiveEvent, type Status } from "./live";

export const PAGE = 50;
export const me = signal<User | null>(null);
export const booted = signal(false);
export const status = signal<Status>("connecting");
export const path = signal(location.pathname);
export const chats = signal<Map<string, ChatListItem>>(new Map());
export const chatList = computed(() =>
  [...chats.value.values()].sort((a, b) => b.last_activity_ms - a.last_activity_ms),
);
/** chat id → user id → until when (ms) they are shown typing. */
export const typing = signal<Map<string, Map<string, number>>>(new Map());
/** chat id → a counter bumped by pin events: the pinned bar refetches on change. */
export const pinsVersion = signal<Map<string, number>>(new Map());
/** chat id → a counter bumped when someone asks to join (admins refetch the requests). */
export const joinRequests = signal<Map<string, number>>(new Map());
/** user id → display name, from members and the chat list. */
export const names = signal<Map<string, string>>(new Map());

/** chat id → its pots by id, once the chat was opened: a summary, or the full view where it
 * was fetched (the full view adds what only the caller sees: the verdict, their money). */
export const pots = signal<Map<string, Map<string, PotSummary | Pot>>>(new Map());
/** pot id → a counter bumped by each of its events: open pot screens refetch on change. */
export const potVersion = signal<Map<string, number>>(new Map());
/** chat id → how many pot events it had: a listing that raced one is asked for again. */
const potEventsByChat = new Map<string, number>();

/** The inbox: the notices loaded so far, oldest first (the ones not yet seen at least), and
 * the newest one the user has seen, remembered per user on this device. */
/** The users the caller blocked, by id (docs/trust-and-safety.md, "Blocking"). */
export const blocked = signal<Map<string, Schemas["Block"]>>(new Map());
export const notices = signal<Notice[]>([]);
export const seenNotice = signal("0");
export const unseenNotices = computed(() => notices.value.filter((n) => idAfter(n.id, seenNotice.value)).length);

/** Whether decimal id `a` is greater than `b` (ids pass 2^53: compared as digit strings). */
export function idAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

/** Now, to the second, for countdowns and for dropping expired messages by our own clock. */
export const clock = signal(Date.now());
setInterval(() => (clock.value = Date.now()), 1000);
/** message id → when this device opened its view-once attachment (gone from then on). */
const openedOnce = new Map<string, number>();
/** The one open of a view-once message: it leaves the list once its viewer closes. */
export function openViewOnce(m: Message): void {
  openedOnce.set(m.id, Date.now());
}
/** message id → when this device marked it read (a self-destruct counts from then). */
const readAt = new Map<string, number>();

/** When the message disappears for me, or null: the server's rule (domain/messages.py). */
export function expiryOf(m: Message): number | null {
  const mine = m.sender_id !== null && m.sender_id === me.value?.id;
  if (m.expires_at_ms != null && (mine || m.expires_after_read_s == null)) return m.expires_at_ms;
  if (mine) return null;
  if (m.read_expires_at_ms != null) return m.read_expires_at_ms;
  const opened = openedOnce.get(m.id);
  if (m.view_once && opened !== undefined) return opened;
  const read = readAt.get(m.id);
  return m.expires_after_read_s != null && read !== undefined
    ? read + m.expires_after_read_s * 1000
    : null;
}

export function timed(m: Message): boolean {
  return m.expires_at_ms != null || m.expires_after_read_s != null || m.view_once;
}

export interface History {
  messages: Message[];
  hasMore: boolean;
  loaded: boolean;
  loading: boolean;
}
const histories = new Map<string, Signal<History>>();

export function history(chatId: string): Signal<History> {
  let found = histories.get(chatId);
  if (found === undefined) {
    found = signal({ messages: [], hasMore: true, loaded: false, loading: false });
    histories.set(chatId, found);
  }
  return found;
}

export function navigate(to: string, replace = false): void {
  if (to === location.pathname) {
    path.value = to;
    return;
  }
  if (replace) history_.replaceState(null, "", to);
  else history_.pushState(null, "", to);
  path.value = to;
}
const history_ = window.history;
addEventListener("popstate", () => {
  path.value = location.pathname;
});

let live: Live | null = null;

/** The chat whose messages are on screen. */
export function openChatId(): string | null {
  const match = /^\/chat\/([1-9][0-9]{0,18})$/.exec(path.value);
  return match?.[1] ?? null;
}

/** A pot screen: /chat/<id>/pots/new, /chat/<id>/pots/<pot>, and its /ledger and /edit. */
export interface PotRoute {
  chatId: string;
  potId: string | null;
  view: "pot" | "ledger" | "edit";
}

export function potRoute(): PotRoute | null {
  const match = /^\/chat\/([1-9][0-9]{0,18})\/pots\/(?:new|([1-9][0-9]{0,18})(?:\/(ledger|edit))?)$/.exec(path.value);
  if (match === null) return null;
  const view = match[3] === "ledger" || match[3] === "edit" ? match[3] : "pot";
  return { chatId: match[1]!, potId: match[2] ?? null, view };
}

/** The chat of the screen: its messages or one of its pots. */
export function routeChatId(): string | null {
  return openChatId() ?? potRoute()?.chatId ?? null;
}

export async function boot(): Promise<void> {
  whenUnauthenticated(signedOut);
  try {
    me.value = await ok(api.GET("/api/v1/me"));
    await startSession();
  } catch {
    me.value = null;
  } finally {
    booted.value = true;
  }
}

export async function loadBlocks(): Promise<void> {
  const page = await ok(api.GET("/api/v1/me/blocks"));
  blocked.value = new Map(page.blocks.map((b) => [b.user_id, b]));
}

/** After a block or an unblock: the list, and the loaded histories afresh (the server
 * hides a blocked user's messages in groups, or shows them again). */
export async function blocksChanged(): Promise<void> {
  await loadBlocks();
  await Promise.all([...histories].filter(([, h]) => h.value.loaded).map(([chatId]) => loadHistory(chatId, false)));
}

export async function startSession(): Promise<void> {
  await loadChats();
  void loadBlocks().catch(() => undefined);
  live?.stop();
  seenNotice.value = localStorage.getItem(seenKey()) ?? "0";
  live = new Live({
    event: applyEvent,
    status: (next) => {
      // Notices are not replayed by the socket: each (re)connection reads what it missed.
      if (next === "online" && status.value !== "online") void catchUpNotices().catch(() => undefined);
      status.value = next;
    },
    signedOut,
  });
  live.start(new Map([...chats.value.values()].map((chat) => [chat.id, chat.last_seq])));
}

export function signedOut(): void {
  live?.stop();
  live = null;
  batch(() => {
    me.value = null;
    chats.value = new Map();
    pots.value = new Map();
    notices.value = [];
    histories.clear();
  });
  // The path stays: the sign-in screen shows there, and signing in goes on to it.
}

export async function loadChats(): Promise<void> {
  const found = new Map<string, ChatListItem>();
  let before: string | undefined;
  for (;;) {
    const page = await ok(api.GET("/api/v1/chats", { params: { query: { limit: 100, before } } }));
    for (const chat of page.chats) found.set(chat.id, chat);
    if (!page.next) break;
    before = page.next;
  }
  chats.value = found;
}

export function sendTyping(chatId: string): void {
  live?.typing(chatId);
}

function patchChat(chatId: string, patch: (chat: ChatListItem) => ChatListItem): void {
  const chat = chats.value.get(chatId);
  if (chat === undefined) return;
  const next = new Map(chats.value);
  next.set(chatId, patch(chat));
  chats.value = next;
}

function patchMessages(chatId: string, patch: (messages: Message[]) => Message[]): void {
  const found = histories.get(chatId);
  if (found === undefined || !found.value.loaded) return;
  found.value = { ...found.value, messages: patch(found.value.messages) };
}

/** Insert or replace by id, keeping seq order (events and pages may overlap). An older page
 * or a newer message is joined without re-sorting: a long history stays cheap to extend. */
export function merge(messages: Message[], incoming: Message[]): Message[] {
  const first = messages[0]?.seq ?? Infinity;
  const last = messages[messages.length - 1]?.seq ?? -Infinity;
  const sorted = incoming.every((m, i) => i === 0 || incoming[i - 1]!.seq < m.seq);
  if (sorted && incoming.length > 0) {
    if (incoming[incoming.length - 1]!.seq < first) return [...incoming, ...messages];
    if (incoming[0]!.seq > last) return [...messages, ...incoming];
  }
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

function replaceMessage(chatId: string, id: string, change: (m: Message) => Message): void {
  patchMessages(chatId, (messages) => messages.map((m) => (m.id === id ? change(m) : m)));
  patchChat(chatId, (chat) =>
    chat.last_message?.id === id ? { ...chat, last_message: change(chat.last_message) } : chat,
  );
}

export function applyEvent(event: LiveEvent): void {
  const chatId = event.chat_id;
  switch (event.type) {
    case "message.created": {
      const message = event.message!;
      patchMessages(chatId, (messages) => merge(messages, [message]));
      const mine = message.sender_id === me.value?.id;
      const viewing = openChatId() === chatId && document.visibilityState === "visible";
      patchChat(chatId, (chat) => ({
        ...chat,
        last_message: message,
        last_seq: Math.max(chat.last_seq, message.seq),
        last_activity_ms: Math.max(chat.last_activity_ms, message.created_at_ms),
        unread_count: mine || viewing ? chat.unread_count : chat.unread_count + 1,
      }));
      clearTyping(chatId, message.sender_id);
      if (viewing && !mine) void markRead(chatId, message.seq);
      break;
    }
    case "message.edited":
      replaceMessage(chatId, event.message!.id, () => event.message!);
      break;
    case "message.deleted": {
      // A timed message is gone without a trace; a deleted one leaves a tombstone.
      const gone = history(chatId).value.messages.find((m) => m.id === event.message_id);
      if (gone && timed(gone)) {
        patchMessages(chatId, (messages) => messages.filter((m) => m.id !== gone.id));
      }
      replaceMessage(chatId, event.message_id!, (m) => ({
        ...m,
        deleted: true,
        text: null,
        entities: [],
        attachments: [],
        reactions: {},
      }));
      break;
    }
    case "message.reactions_changed":
      replaceMessage(chatId, event.message_id!, (m) => ({ ...m, reactions: event.reactions ?? {} }));
      break;
    case "message.pinned":
    case "message.unpinned":
      pinsVersion.value = bumped(pinsVersion.value, chatId);
      break;
    case "member.join_requested":
      joinRequests.value = bumped(joinRequests.value, chatId);
      break;
    case "read.updated":
      patchChat(chatId, (chat) => ({
        ...chat,
        read_seq: Math.max(chat.read_seq, event.read_seq ?? 0),
        unread_count: (event.read_seq ?? 0) >= chat.last_seq ? 0 : chat.unread_count,
      }));
      break;
    case "member.read":
      // Another member's read moves the ticks on the caller's messages (never backwards).
      if (event.user_id && event.user_id !== me.value?.id) {
        patchChat(chatId, (chat) => ({ ...chat, peer_read_seq: Math.max(chat.peer_read_seq ?? 0, event.read_seq ?? 0) }));
      }
      break;
    case "typing":
      if (event.user_id && event.user_id !== me.value?.id) {
        const next = new Map(typing.value);
        const inChat = new Map(next.get(chatId) ?? []);
        inChat.set(event.user_id, Date.now() + 5000);
        next.set(chatId, inChat);
        typing.value = next;
        setTimeout(() => clearTyping(chatId, event.user_id ?? null, true), 5100);
      }
      break;
    case "chat.updated":
      if (event.chat) {
        // The chat as every member sees it: this client's own role and how far the chat has
        // gone it follows itself (events stored by earlier servers carry my_role null, and a
        // last_seq one behind their own seq).
        const { my_role: _role, last_seq: _seq, ...shared } = event.chat as Partial<ChatListItem>;
        patchChat(chatId, (chat) => ({ ...chat, ...shared }));
      }
      break;
    case "chat.message_ttl_changed":
      patchChat(chatId, (chat) => ({ ...chat, message_ttl_s: event.message_ttl_s ?? null }));
      break;
    case "chat.added":
      void refreshChat(chatId);
      break;
    case "chat.removed": {
      const next = new Map(chats.value);
      next.delete(chatId);
      chats.value = next;
      histories.delete(chatId);
      dropPots(chatId);
      if (openChatId() === chatId || routeChatId() === chatId) navigate("/", true);
      break;
    }
    case "resync_required":
      histories.delete(chatId);
      dropPots(chatId);
      void refreshChat(chatId);
      break;
    case "member.joined":
    case "member.role_changed":
    case "member.left":
    case "member.removed":
    case "chat.owner_transferred":
      // Member counts and my role: the server's word, not a count kept here.
      if (event.member) rememberName(event.member.user_id, event.member.display_name);
      if (chats.value.has(chatId)) void refreshChat(chatId).catch(() => undefined);
      break;
    case "user.blocked":
    case "user.unblocked":
      // From this or another of the caller's devices: the list, and the messages it hides.
      void blocksChanged().catch(() => undefined);
      break;
    case "notice.created":
      if (event.id && event.kind && event.data) {
        addNotices([{ id: event.id, kind: event.kind, created_at_ms: event.created_at_ms ?? event.at_ms ?? Date.now(), data: event.data }]);
      }
      break;
    default:
      if (event.type.startsWith("pot.") && event.pot_id) applyPotEvent(event, event.pot_id);
  }
}

/** A pot event: the summary it carries at once; the full view again when what only this
 * user sees may have changed (the verdict, the freeze, their own money). Other changes
 * (votes, proposals) reach open pot screens through potVersion. */
function applyPotEvent(event: LiveEvent, potId: string): void {
  potVersion.value = bumped(potVersion.value, potId);
  potEventsByChat.set(event.chat_id, (potEventsByChat.get(event.chat_id) ?? 0) + 1);
  const loaded = pots.value.get(event.chat_id);
  if (loaded === undefined || event.pot === undefined) return;
  setPot(event.chat_id, { ...loaded.get(potId), ...event.pot });
  const refetch =
    event.type === "pot.created" ||
    event.type === "pot.updated" ||
    (event.user_id === me.value?.id && event.type.startsWith("pot.contribution_"));
  if (refetch) void loadPot(potId).catch(() => undefined);
}

function seenKey(): string {
  return `colletta.notices.seen.${me.value?.id ?? ""}`;
}
// Another tab of this user opened the inbox: this one's badge follows.
addEventListener("storage", (event) => {
  if (event.key === seenKey() && event.newValue && idAfter(event.newValue, seenNotice.value)) seenNotice.value = event.newValue;
});

/** Add notices (live or fetched), each once, in id order. */
function addNotices(found: Notice[]): void {
  if (found.length === 0) return;
  const byId = new Map(notices.value.map((n) => [n.id, n]));
  for (const notice of found) byId.set(notice.id, notice);
  notices.value = [...byId.values()].sort((a, b) => (a.id === b.id ? 0 : idAfter(a.id, b.id) ? 1 : -1));
}

/** The notices after the newest one known (or seen), page by page: what arrived while this
 * device was away. `fromStart` reads the whole inbox (the inbox screen). */
export async function catchUpNotices(fromStart = false): Promise<void> {
  const last = notices.value[notices.value.length - 1]?.id;
  let after: string | undefined = fromStart ? undefined : last && idAfter(last, seenNotice.value) ? last : seenNotice.value;
  if (after === "0") after = undefined;
  for (let page = 0; page < 50; page++) {
    const found = await ok(api.GET("/api/v1/me/notices", { params: { query: { after, limit: 200 } } }));
    addNotices(found.notices);
    if (found.notices.length < 200 || !found.next_after) return;
    after = found.next_after;
  }
}

/** The user has seen every notice loaded: the badge clears, on this device for good. */
export function markNoticesSeen(): void {
  const newest = notices.value[notices.value.length - 1]?.id;
  if (newest === undefined || !idAfter(newest, seenNotice.value)) return;
  seenNotice.value = newest;
  localStorage.setItem(seenKey(), newest);
}

/** Keep a pot's newer view, in a chat whose pots are loaded (loadPots lists them all). */
export function setPot(chatId: string, pot: PotSummary | Pot): void {
  const loaded = pots.value.get(chatId);
  if (loaded === undefined) return;
  const next = new Map(pots.value);
  next.set(chatId, new Map(loaded).set(pot.id, pot));
  pots.value = next;
}

function dropPots(chatId: string): void {
  const next = new Map(pots.value);
  next.delete(chatId);
  pots.value = next;
}

/** `fetch`'s answer, asked for again (up to 5 times) while `events` moved during the request:
 * an answer the server gave just before an event may be older than that event. */
async function settled<T>(events: () => number, fetch: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const before = events();
    const answer = await fetch();
    if (events() === before || attempt === 4) return answer;
  }
}

/** The full view of one pot, kept in the chat's pots; not laid over a newer event of the pot
 * (a contribution confirmed just after the server answered). */
export async function loadPot(potId: string): Promise<Pot> {
  const pot = await settled(
    () => potVersion.value.get(potId) ?? 0,
    () => ok(api.GET("/api/v1/pots/{pot_id}", { params: { path: { pot_id: potId } } })),
  );
  setPot(pot.chat_id, pot);
  return pot;
}

/** The chat's pots, then the full view of those still running. Events of a chat whose pots
 * are not loaded yet are not kept, so one during the listing asks for the list again. */
export async function loadPots(chatId: string): Promise<void> {
  const page = await settled(
    () => potEventsByChat.get(chatId) ?? 0,
    () => ok(api.GET("/api/v1/chats/{chat_id}/pots", { params: { path: { chat_id: chatId } } })),
  );
  const next = new Map(pots.value);
  next.set(chatId, new Map(page.pots.map((pot) => [pot.id, pot])));
  pots.value = next;
  await Promise.all(page.pots.filter((p) => p.status !== "settled").map((p) => loadPot(p.id)));
}

function bumped(counters: Map<string, number>, chatId: string): Map<string, number> {
  const next = new Map(counters);
  next.set(chatId, (next.get(chatId) ?? 0) + 1);
  return next;
}

/** The names of a group's or channel's members, for whatever shows who did what. */
export async function loadMemberNames(chatId: string): Promise<void> {
  const page = await ok(
    api.GET("/api/v1/chats/{chat_id}/members", { params: { path: { chat_id: chatId }, query: { limit: 200 } } }),
  );
  page.members.forEach((m) => rememberName(m.user_id, m.display_name));
}

export function rememberName(userId: string, name: string): void {
  if (names.value.get(userId) === name) return;
  const next = new Map(names.value);
  next.set(userId, name);
  names.value = next;
}

/** Stop showing a user typing: they sent, or their last typing frame is 5 s old. */
function clearTyping(chatId: string, userId: string | null, onlyIfStale = false): void {
  const inChat = typing.value.get(chatId);
  if (!userId || !inChat?.has(userId)) return;
  if (onlyIfStale && (inChat.get(userId) ?? 0) > Date.now()) return;
  const next = new Map(typing.value);
  const left = new Map(inChat);
  left.delete(userId);
  next.set(chatId, left);
  typing.value = next;
}

export async function refreshChat(chatId: string): Promise<void> {
  const chat = await ok(api.GET("/api/v1/chats/{chat_id}", { params: { path: { chat_id: chatId } } }));
  const existing = chats.value.get(chatId);
  const next = new Map(chats.value);
  next.set(chatId, {
    last_message: null,
    unread_count: 0,
    read_seq: chat.last_seq,
    peer_read_seq: null,
    last_activity_ms: chat.created_at_ms,
    ...existing,
    ...chat,
  });
  chats.value = next;
}

export async function loadHistory(chatId: string, older: boolean): Promise<number> {
  const state = history(chatId);
  const current = state.value;
  if (current.loading || (older && (!current.hasMore || !current.loaded))) return 0;
  state.value = { ...current, loading: true };
  try {
    const before_seq = older ? current.messages[0]?.seq : undefined;
    const page = await ok(
      api.GET("/api/v1/chats/{chat_id}/messages", {
        params: { path: { chat_id: chatId }, query: { limit: PAGE, before_seq } },
      }),
    );
    const merged = merge(older ? state.value.messages : [], page.messages);
    const added = merged.length - (older ? state.value.messages.length : 0);
    state.value = { messages: merged, hasMore: page.has_more, loaded: true, loading: false };
    return added;
  } catch (error) {
    state.value = { ...state.value, loading: false };
    throw error;
  }
}

export async function markRead(chatId: string, seq: number): Promise<void> {
  const chat = chats.value.get(chatId);
  if (chat === undefined || chat.read_seq >= seq) {
    if (chat && chat.unread_count) patchChat(chatId, (c) => ({ ...c, unread_count: 0 }));
    return;
  }
  patchChat(chatId, (c) => ({ ...c, read_seq: seq, unread_count: 0 }));
  const now = Date.now();
  for (const m of history(chatId).value.messages) {
    if (m.seq <= seq && m.expires_after_read_s != null && !readAt.has(m.id)) readAt.set(m.id, now);
  }
  await ok(
    api.POST("/api/v1/chats/{chat_id}/read", {
      params: { path: { chat_id: chatId } },
      body: { seq },
    }),
  ).catch(() => undefined);
}
