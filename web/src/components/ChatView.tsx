import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api, newTxnId, ok, type ChatListItem, type Media, type Message } from "../api/http";
import { renderText } from "../markup";
import { deliver, forget, outbox } from "../outbox";
import { shortDuration, shortTime, t } from "../i18n";
import {
  chats,
  clock,
  expiryOf,
  history,
  loadHistory,
  markRead,
  me,
  merge,
  names,
  navigate,
  openViewOnce,
  pinsVersion,
  loadMemberNames,
  sendTyping,
  timed,
  typing,
} from "../store";
import { useVirtualizer } from "./useVirtualizer";
import { ChatInfo } from "./ChatInfo";
import { Confirm } from "./Confirm";
import { Quote, jumpTarget, quotedCopy } from "./Quote";
import { Toast, refused, toast } from "./Toast";
import { Link } from "./Link";
import { preview } from "./ChatList";
import { PotStrip, canOpenPots, potPath } from "./Pots";
import { Attachments, UploadList, Viewer, newUpload, upload, type Upload } from "./Media";
import { ReportDialog, type ReportTarget } from "./Report";

const REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥"];
const TYPING_EVERY_MS = 3000;
/** Older messages load once the view is this close to the top of what is loaded. */
const NEAR_TOP_PX = 600;

const SELF_DESTRUCT_S = [0, 5, 30, 60, 3600, 86_400];
function Countdown({ at }: { at: number }) {
  const left = at - clock.value;
  return (
    <span class="countdown" title={t.disappearsIn(shortDuration(left))}>
      ⏱ {shortDuration(left)}
    </span>
  );
}

function senderName(message: Message, chat: ChatListItem): string {
  if (message.sender_id !== null && message.sender_id === me.value?.id) return t.you;
  // A channel's post is the channel's, or its signer's: subscribers do not see its admins.
  if (message.author_signature) return message.author_signature;
  if (message.sender_id === null) return chat.title;
  if (chat.kind === "direct") return chat.title;
  return names.value.get(message.sender_id) ?? t.someone;
}

function canModerate(chat: ChatListItem): boolean {
  return chat.my_role === "owner" || chat.my_role === "admin" || chat.my_role === "moderator";
}

function canPin(chat: ChatListItem): boolean {
  return chat.kind === "direct" || chat.my_role === "owner" || chat.my_role === "admin";
}

interface ItemProps {
  message: Message;
  chat: ChatListItem;
  byId: Map<string, Message>;
  onReply: (m: Message) => void;
  onEdit: (m: Message) => void;
  onForward: (m: Message) => void;
  onOpen: (m: Media, once: boolean) => void;
  onReport: (m: Message) => void;
}

function MessageItem({ message: listed, chat, byId, onReply, onEdit, onForward, onOpen, onReport }: ItemProps) {
  const [menu, setMenu] = useState(false);
  // A blocked user's message comes without content; "Show" asks for it, for this message only.
  const [revealed, setRevealed] = useState<Message | null>(null);
  const message = revealed !== null && revealed.id === listed.id ? revealed : listed;
  const reveal = () =>
    void ok(
      api.GET("/api/v1/chats/{chat_id}/messages/{message_id}", {
        params: { path: { chat_id: chat.id, message_id: listed.id }, query: { include_blocked: true } },
      }),
    )
      .then(setRevealed)
      .catch(() => undefined);
  const mine = message.sender_id !== null && message.sender_id === me.value?.id;
  const path = { chat_id: chat.id, message_id: message.id };
  const replied = message.reply_to_id ? byId.get(message.reply_to_id) : undefined;
  const expiry = message.deleted ? null : expiryOf(message);
  const react = (emoji: string) =>
    void ok(api.PUT("/api/v1/chats/{chat_id}/messages/{message_id}/reactions/{emoji}", { params: { path: { ...path, emoji } } })).catch(() => undefined);
  const act = (f: () => void) => () => {
    setMenu(false);
    f();
  };
  return (
    <article
      tabIndex={-1}
      class={mine ? "message mine" : "message"}
      data-message-id={message.id}
      data-seq={message.seq}
      aria-label={`${senderName(message, chat)}, ${shortTime(message.created_at_ms)}`}
    >
      <div class="bubble">
        {!mine && chat.kind !== "direct" && <div class="sender">{senderName(message, chat)}</div>}
        {message.forward && <div class="forwarded">{t.forwarded}</div>}
        {message.reply_to_id && (
          <Quote chatId={chat.id} messageId={message.reply_to_id} loaded={replied} />
        )}
        {message.attachments.length > 0 && (
          <Attachments
            media={message.attachments}
            viewOnce={message.view_once ? (mine ? "sender" : "reader") : null}
            onOpen={(m) => {
              if (message.view_once) openViewOnce(message);
              if (!message.view_once || m.kind === "image") onOpen(m, message.view_once);
            }}
          />
        )}
        {message.deleted ? (
          <p class="text deleted">{t.deleted}</p>
        ) : message.from_blocked ? (
          <p class="text blocked">
            {t.fromBlocked}{" "}
            <button type="button" class="link" onClick={reveal}>
              {t.showBlocked}
            </button>
          </p>
        ) : (
          message.text && <p class="text">{renderText(message.text, message.entities)}</p>
        )}
        {Object.keys(message.reactions).length > 0 && (
          <div class="reactions">
            {Object.entries(message.reactions).map(([emoji, count]) => (
              <button type="button" class="chip" key={emoji} onClick={() => react(emoji)} aria-label={`${emoji} ${count}`}>
                {emoji} {count}
              </button>
            ))}
          </div>
        )}
        <div class="meta">
          {expiry !== null && <Countdown at={expiry} />}
          {message.edited_at_ms && !message.deleted && <span>{t.edited} · </span>}
          <time dateTime={new Date(message.created_at_ms).toISOString()}>{shortTime(message.created_at_ms)}</time>
          {mine && !message.deleted && chat.peer_read_seq != null && (
            <span class="ticks" role="img" aria-label={chat.peer_read_seq >= message.seq ? t.seen : t.sent}>
              {chat.peer_read_seq >= message.seq ? " ✓✓" : " ✓"}
            </span>
          )}
        </div>
      </div>
      {!message.deleted && (
        <button
          type="button"
          class="more"
          aria-label={t.actionsFor}
          aria-expanded={menu}
          onClick={() => setMenu(!menu)}
        >
          ⋯
        </button>
      )}
      {menu && !message.deleted && (
        <div class="actions" role="group" aria-label={t.actionsFor}>
          <button type="button" onClick={act(() => onReply(message))}>{t.reply}</button>
          {REACTIONS.map((emoji) => (
            <button type="button" key={emoji} aria-label={`${t.react} ${emoji}`} onClick={act(() => react(emoji))}>
              {emoji}
            </button>
          ))}
          <button type="button" onClick={act(() => onForward(message))}>{t.forward}</button>
          {canPin(chat) && (
            <button
              type="button"
              onClick={act(() => void ok(api.PUT("/api/v1/chats/{chat_id}/pins/{message_id}", { params: { path } })).catch(() => undefined))}
            >
              {t.pin}
            </button>
          )}
          {mine && message.text !== null && (
            <button type="button" onClick={act(() => onEdit(message))}>{t.edit}</button>
          )}
          {(mine || (chat.kind !== "direct" && canModerate(chat))) && (
            <Confirm
              label={t.delete}
              text={t.confirmDelete}
              danger
              onConfirm={() => ok(api.DELETE("/api/v1/chats/{chat_id}/messages/{message_id}", { params: { path } })).then(() => setMenu(false), refused)}
            />
          )}
          {!mine && <button type="button" onClick={act(() => onReport(message))}>{t.reportAction}</button>}
          <button type="button" onClick={() => setMenu(false)}>{t.closeMenu}</button>
        </div>
      )}
    </article>
  );
}

function MessageList({ chat, onReply, onEdit, onForward, onOpen, onReport }: { chat: ChatListItem } & Omit<ItemProps, "message" | "chat" | "byId">) {
  const state = history(chat.id).value;
  // Timed messages leave the screen at their expiry by this clock, even before the server's
  // purge event arrives (and a tick re-renders only while some are on screen).
  // An expired message leaves no tombstone.
  const anyTimed = useMemo(() => state.messages.some(timed), [state.messages]);
  const now = anyTimed ? clock.value : 0;
  const messages = useMemo(
    () =>
      anyTimed
        ? state.messages.filter((m) => (m.deleted ? !timed(m) : (expiryOf(m) ?? Infinity) > now))
        : state.messages,
    [state.messages, anyTimed, now],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ id: string; delta: number } | null>(null);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    overscan: 10,
    getItemKey: (index) => messages[index]?.id ?? index,
  });
  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;

  useEffect(() => {
    if (!state.loaded) void loadHistory(chat.id, false).catch(() => undefined);
  }, [chat.id, state.loaded]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    if (anchor.current !== null) {
      const index = messages.findIndex((m) => m.id === anchor.current?.id);
      const offset = index < 0 ? undefined : virtualizer.getOffsetForIndex(index, "start");
      if (offset) element.scrollTop = offset[0] + anchor.current.delta;
      anchor.current = null;
    } else if (atBottom.current && messages.length > 0) {
      virtualizer.scrollToIndex(messages.length - 1, { align: "end" });
    }
  }, [messages]);

  useEffect(() => {
    if (lastSeq && document.visibilityState === "visible") void markRead(chat.id, lastSeq);
  }, [chat.id, lastSeq]);

  // A jump loads older pages until the message is in the history (which runs without a gap
  // from the newest), then brings it to the middle of the view and focuses it.
  const [shown, setShown] = useState<{ id: string; jump: number } | null>(null);
  const target = jumpTarget.value;
  useEffect(() => {
    if (target === null) return;
    jumpTarget.value = null;
    atBottom.current = false;
    void (async () => {
      // Its seq says how far back to load: from the history or a quote's copy, else asked.
      const copy = quotedCopy(target);
      const wanted =
        history(chat.id).value.messages.find((m) => m.id === target) ??
        (copy ?? await ok(api.GET("/api/v1/chats/{chat_id}/messages/{message_id}", { params: { path: { chat_id: chat.id, message_id: target } } })).catch(() => null));
      if (wanted === null) return;
      for (;;) {
        const now = history(chat.id).value;
        if (now.messages.some((m) => m.id === target) || !now.hasMore || (now.messages[0]?.seq ?? 0) <= wanted.seq) break;
        if (!(await loadHistory(chat.id, true).catch(() => 0))) break;
      }
      setShown((last) => ({ id: target, jump: (last?.jump ?? 0) + 1 }));
    })();
  }, [target]);
  useLayoutEffect(() => {
    const index = shown === null ? -1 : messages.findIndex((m) => m.id === shown.id);
    if (index < 0) return;
    virtualizer.scrollToIndex(index, { align: "center" });
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`article[data-message-id="${shown?.id}"]`)?.focus());
  }, [shown]);

  async function onScroll() {
    const element = scroller.current;
    if (element === null) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    const now = history(chat.id).value;
    if (element.scrollTop < NEAR_TOP_PX && now.hasMore && !now.loading && now.loaded) {
      const top = messages[0];
      const topOffset = virtualizer.getOffsetForIndex(0, "start");
      if (top && topOffset) anchor.current = { id: top.id, delta: element.scrollTop - topOffset[0] };
      const added = await loadHistory(chat.id, true).catch(() => 0);
      if (!added) anchor.current = null;
    }
  }

  const items = virtualizer.getVirtualItems();
  return (
    <div class="messages" ref={scroller} onScroll={onScroll} tabIndex={0} role="log" aria-label={t.messages} aria-live="polite">
      {state.loaded && !state.hasMore && <p class="start">{t.startOfChat}</p>}
      {state.loading && <p class="start">{t.loadingOlder}</p>}
      {state.loaded && messages.length === 0 && <p class="empty">{t.noMessages}</p>}
      <div class="virtual" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {items.map((item) => {
          const message = messages[item.index];
          if (!message) return null;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={(el) => {
                if (el) virtualizer.measureElement(el);
              }}
              class={message.id === shown?.id ? "row shown" : "row"}
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <MessageItem message={message} chat={chat} byId={byId} onReply={onReply} onEdit={onEdit} onForward={onForward} onOpen={onOpen} onReport={onReport} />
            </div>
          );
        })}
      </div>
      {outbox.value.filter((p) => p.chatId === chat.id).map((p) => (
        <div class={p.refused ? "message mine refused" : "message mine pending"} key={p.txn} aria-busy={!p.refused}>
          <div class="bubble">
            {p.attachments.length > 0 && <p class="text">📎 {p.attachments.length}</p>}
            {p.text && <p class="text">{p.text}</p>}
            {p.refused ? (
              <div class="meta" role="alert">
                {t.notSent(p.refused)}{" "}
                <button type="button" onClick={() => void deliver(p)}>{t.sendAgain}</button>{" "}
                <button type="button" onClick={() => forget(p.txn)}>{t.discard}</button>
              </div>
            ) : (
              <div class="meta">🕓</div>
            )}
          </div>
        </div>
      ))}
    </div>
  );
}

function Composer({
  chat,
  replyTo,
  editing,
  onDone,
  uploads,
  setUploads,
  addFiles,
}: {
  chat: ChatListItem;
  replyTo: Message | null;
  editing: Message | null;
  onDone: () => void;
  uploads: Upload[];
  setUploads: (change: (list: Upload[]) => Upload[]) => void;
  addFiles: (files: Iterable<File>) => void;
}) {
  const fileInput = useRef<HTMLInputElement>(null);
  const uploading = uploads.some((u) => u.media === null && u.error === null);
  const [text, setText] = useState("");
  const [selfDestruct, setSelfDestruct] = useState(0);
  const [viewOnce, setViewOnce] = useState(false);
  const lastTyping = useRef(0);
  const input = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    if (editing) setText(editing.text ?? "");
    if (editing || replyTo) input.current?.focus();
  }, [editing, replyTo]);

  async function submit() {
    const body = text.trim();
    const ready = editing ? [] : uploads.filter((u) => u.media !== null);
    if ((!body && ready.length === 0) || uploading) return;
    setText("");
    if (editing) {
      onDone();
      await ok(
        api.PATCH("/api/v1/chats/{chat_id}/messages/{message_id}", {
          params: { path: { chat_id: chat.id, message_id: editing.id } },
          body: { text: body },
        }),
      ).catch(refused);
      return;
    }
    const reply = replyTo?.id ?? null;
    onDone();
    setUploads(() => []);
    ready.forEach((u) => u.preview && URL.revokeObjectURL(u.preview));
    await deliver({
      txn: newTxnId(),
      chatId: chat.id,
      text: body,
      replyTo: reply,
      selfDestructS: selfDestruct || null,
      attachments: ready.map((u) => u.media!.id),
      viewOnce: viewOnce && ready.length > 0,
    });
    setViewOnce(false);
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {(replyTo || editing) && (
        <div class="context">
          <span>
            {editing ? t.editing : `${t.replyingTo}: ${preview(replyTo) || "📎"}`}
          </span>
          <button
            type="button"
            aria-label={t.cancel}
            onClick={() => {
              if (editing) setText("");
              onDone();
            }}
          >
            ✕
          </button>
        </div>
      )}
      {uploads.length > 0 && (
        <UploadList uploads={uploads} onRemove={(key) => setUploads((list) => list.filter((u) => u.key !== key))} />
      )}
      <input
        ref={fileInput}
        type="file"
        multiple
        class="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          addFiles(Array.from(e.currentTarget.files ?? []));
          e.currentTarget.value = "";
        }}
      />
      <button type="button" class="attach" aria-label={t.attach} onClick={() => fileInput.current?.click()}>
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path
            d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
          />
        </svg>
      </button>
      <label class="visually-hidden" for="composer-text">
        {t.message}
      </label>
      <textarea
        id="composer-text"
        ref={input}
        rows={1}
        placeholder={t.message}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          if (Date.now() - lastTyping.current > TYPING_EVERY_MS) {
            lastTyping.current = Date.now();
            sendTyping(chat.id);
          }
        }}
        onPaste={(e) => {
          const files = Array.from(e.clipboardData?.files ?? []);
          if (files.length) {
            e.preventDefault();
            addFiles(files);
          }
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void submit();
          } else if (e.key === "Escape" && (replyTo || editing)) {
            if (editing) setText("");
            onDone();
          }
        }}
      />
      {chat.kind === "direct" && uploads.length > 0 && (
        <label class="check">
          <input type="checkbox" checked={viewOnce} onChange={(e) => setViewOnce(e.currentTarget.checked)} /> {t.viewOnce}
        </label>
      )}
      {chat.kind === "direct" && (
        <select
          aria-label={t.selfDestruct}
          value={String(selfDestruct)}
          onChange={(e) => setSelfDestruct(Number(e.currentTarget.value))}
        >
          {SELF_DESTRUCT_S.map((seconds) => (
            <option key={seconds} value={String(seconds)}>
              {seconds ? `⏱ ${shortDuration(seconds * 1000)}` : t.timerOff}
            </option>
          ))}
        </select>
      )}
      <button type="submit" class="primary" disabled={uploading}>
        {t.send}
      </button>
    </form>
  );
}

function ForwardDialog({ message, onClose }: { message: Message; onClose: () => void }) {
  const targets = [...chats.value.values()];
  async function forward(chatId: string) {
    onClose();
    const title = chats.value.get(chatId)?.title ?? "";
    await ok(
      api.POST("/api/v1/chats/{chat_id}/messages", {
        params: { path: { chat_id: chatId } },
        body: { client_txn_id: newTxnId(), forward: { chat_id: message.chat_id, message_id: message.id }, view_once: false },
      }),
    ).then(() => (toast.value = { text: t.forwardedTo(title), problem: false }), refused);
  }
  return (
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="forward-title">
      <h2 id="forward-title">{t.forwardTo}</h2>
      <ul>
        {targets.map((chat) => (
          <li key={chat.id}>
            <button type="button" onClick={() => void forward(chat.id)}>{chat.title}</button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={onClose}>{t.cancel}</button>
    </div>
  );
}

/** The latest pinned message, kept current by the pin events (store.pinsVersion). */
function PinnedBar({ chat }: { chat: ChatListItem }) {
  const [pinned, setPinned] = useState<Message | null>(null);
  const version = pinsVersion.value.get(chat.id) ?? 0;
  useEffect(() => {
    ok(api.GET("/api/v1/chats/{chat_id}/pins", { params: { path: { chat_id: chat.id } } }))
      .then((page) => setPinned(page.messages[page.messages.length - 1] ?? null))
      .catch(() => setPinned(null));
  }, [chat.id, version]);
  if (pinned === null || pinned.deleted) return null;
  return (
    <div class="pinned" role="note" aria-label={t.pinned}>
      <span aria-hidden="true">📌</span>{" "}
      <button type="button" class="link" onClick={() => (jumpTarget.value = pinned.id)}>
        <strong>{t.pinned}:</strong> {preview(pinned) || "📎"}
      </button>
      {canPin(chat) && (
        <button
          type="button"
          aria-label={t.unpin}
          onClick={() =>
            void ok(api.DELETE("/api/v1/chats/{chat_id}/pins/{message_id}", { params: { path: { chat_id: chat.id, message_id: pinned.id } } })).catch(() => undefined)
          }
        >
          ✕
        </button>
      )}
    </div>
  );
}

export function ChatView({ chatId }: { chatId: string }) {
  const chat = chats.value.get(chatId);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [forwarding, setForwarding] = useState<Message | null>(null);
  const [reporting, setReporting] = useState<ReportTarget | null>(null);
  const [info, setInfo] = useState(false);
  const [viewing, setViewing] = useState<{ media: Media; once: boolean } | null>(null);
  const [uploads, setUploadList] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  useEffect(() => () => void (toast.value = null), [chatId]);
  const setUploads = (change: (list: Upload[]) => Upload[]) => setUploadList(change);
  const patchUpload = (key: string, patch: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)));
  function addFiles(files: Iterable<File>) {
    for (const file of files) {
      const item = newUpload(file);
      setUploads((list) => [...list, item]);
      upload(chatId, file, (progress) => patchUpload(item.key, { progress }))
        .then((media) => patchUpload(item.key, { media, progress: 1 }))
        .catch((error) => patchUpload(item.key, { error: error instanceof ApiError ? error.message : t.error }));
    }
  }

  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
    setInfo(false);
    setUploadList([]);
    if (chat && chat.kind !== "direct") {
      loadMemberNames(chatId).catch(() => undefined);
    }
  }, [chatId, chat === undefined]);

  if (chat === undefined) return <main class="chat-view empty" aria-label={t.main} />;
  const typers = [...(typing.value.get(chatId)?.keys() ?? [])].map((id) => names.value.get(id) ?? (chat.kind === "direct" ? chat.title : t.someone));
  const count = chat.kind === "channel" ? t.subscribers(chat.member_count) : t.members(chat.member_count);
  return (
    <main
      class={`chat-view${dragging ? " dragging" : ""}${info ? " info-open" : ""}`}
      aria-labelledby="chat-title"
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        addFiles(Array.from(e.dataTransfer?.files ?? []));
      }}
    >
      <header class="chat-header">
        <button type="button" class="back" aria-label={t.back} onClick={() => (info ? setInfo(false) : navigate("/"))}>
          ←
        </button>
        <button type="button" class="chat-heading" aria-expanded={info} onClick={() => setInfo(!info)}>
          <h1 id="chat-title">{chat.title}</h1>
          <span class="sub" aria-live="polite">
            {typers.length
              ? t.typing(typers.join(", "))
              : `${t.chatKinds[chat.kind] ?? ""}${chat.kind === "direct" ? "" : ` · ${count}`}`}
            {chat.message_ttl_s ? ` · ⏱ ${shortDuration(chat.message_ttl_s * 1000)}` : ""}
          </span>
        </button>
        {canOpenPots(chat) && (
          <Link to={potPath(chat.id)} class="button new-pot">
            + {t.newPot}
          </Link>
        )}
      </header>
      {info && <ChatInfo chat={chat} />}
      <PinnedBar chat={chat} />
      <PotStrip chat={chat} />
      <MessageList
        chat={chat}
        onReply={(m) => {
          setEditing(null);
          setReplyTo(m);
        }}
        onEdit={(m) => {
          setReplyTo(null);
          setEditing(m);
        }}
        onForward={setForwarding}
        onOpen={(media, once) => setViewing({ media, once })}
        onReport={(m) => setReporting({ subject: "message", subjectId: m.id, chatId: chat.id })}
      />
      <Toast />
      {(chat.kind !== "channel" || chat.my_role === "owner" || chat.my_role === "admin") && (
        <Composer
          chat={chat}
          replyTo={replyTo}
          editing={editing}
          onDone={() => {
            setReplyTo(null);
            setEditing(null);
          }}
          uploads={uploads}
          setUploads={setUploads}
          addFiles={addFiles}
        />
      )}
      {reporting && <ReportDialog target={reporting} onClose={() => setReporting(null)} />}
      {forwarding && <ForwardDialog message={forwarding} onClose={() => setForwarding(null)} />}
      {viewing && <Viewer media={viewing.media} once={viewing.once} onClose={() => setViewing(null)} />}
    </main>
  );
}
