import { useEffect, useState } from "preact/hooks";
import { ApiError, api, ok, type Chat, type Schemas } from "../api/http";
import { t } from "../i18n";
import { Back } from "./Back";
import { chats, navigate, refreshChat } from "../store";

/** Public channels: search by title, subscribe, open. */
export function Channels() {
  const [prefix, setPrefix] = useState("");
  const [found, setFound] = useState<Chat[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => {
      ok(api.GET("/api/v1/chats/public", { params: { query: { prefix: prefix.trim() || undefined, limit: 50 } } }))
        .then((page) => setFound(page.chats))
        .catch(() => setFound([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [prefix]);

  async function subscribe(chat: Chat) {
    setError("");
    try {
      if (!chats.value.has(chat.id)) {
        await ok(api.POST("/api/v1/chats/{chat_id}/subscribe", { params: { path: { chat_id: chat.id } } }));
        await refreshChat(chat.id);
      }
      navigate(`/chat/${chat.id}`);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t.error);
    }
  }

  return (
    <main class="page" aria-labelledby="channels-title">
      <Back />
      <h1 id="channels-title">{t.browseChannels}</h1>
      <label class="visually-hidden" for="channel-search">
        {t.searchChannels}
      </label>
      <input id="channel-search" type="search" placeholder={t.searchChannels} value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} />
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="channels">
        {found.map((chat) => (
          <li key={chat.id} class="card">
            <strong>{chat.title}</strong>
            {chat.description && <span>{chat.description}</span>}
            <small>{t.subscribers(chat.member_count)}</small>
            <button type="button" class="primary" onClick={() => void subscribe(chat)}>
              {chats.value.has(chat.id) ? t.open : t.subscribe}
            </button>
          </li>
        ))}
      </ul>
      {found.length === 0 && <p class="empty">{t.noChannels}</p>}
    </main>
  );
}

/** `/invite/CODE`: what the link leads to, and joining it. */
export function InvitePage({ code }: { code: string }) {
  const [info, setInfo] = useState<Schemas["InviteInfo"] | null>(null);
  const [message, setMessage] = useState("");
  useEffect(() => {
    ok(api.GET("/api/v1/invites/{code}", { params: { path: { code } } }))
      .then(setInfo)
      .catch((caught) => setMessage(caught instanceof ApiError ? caught.message : t.error));
  }, [code]);

  async function join() {
    try {
      const result = await ok(api.POST("/api/v1/invites/{code}/join", { params: { path: { code } } }));
      if (result.status === "requested" || !result.chat) {
        setMessage(t.joinRequested);
        return;
      }
      await refreshChat(result.chat.id);
      navigate(`/chat/${result.chat.id}`, true);
    } catch (caught) {
      setMessage(caught instanceof ApiError ? caught.message : t.error);
    }
  }

  return (
    <main class="page" aria-labelledby="invite-title">
      <Back />
      <div class="card">
        <h1 id="invite-title">{info ? info.chat.title : t.invite}</h1>
        {info && <p>{t.chatKinds[info.chat.kind]} · {t.members(info.chat.member_count)}</p>}
        {info && (
          <button type="button" class="primary" onClick={() => void join()}>
            {info.requires_approval ? t.askToJoin : t.join}
          </button>
        )}
        {message && <p role="status">{message}</p>}
      </div>
    </main>
  );
}
