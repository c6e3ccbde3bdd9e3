import { useState } from "preact/hooks";
import { ApiError, api, ok } from "../api/http";
import { t } from "../i18n";
import { Back } from "./Back";
import { navigate, refreshChat } from "../store";

export function NewChat() {
  const [kind, setKind] = useState<"group" | "channel">("group");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [error, setError] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    setError("");
    try {
      const chat = await ok(
        api.POST("/api/v1/chats", {
          body: { kind, title, description, is_public: kind === "channel" && isPublic, signed_posts: false },
        }),
      );
      await refreshChat(chat.id);
      navigate(`/chat/${chat.id}`, true);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t.error);
    }
  }

  return (
    <main class="page" aria-labelledby="new-title">
      <Back />
      <form class="card" onSubmit={submit}>
        <h1 id="new-title">{kind === "group" ? t.newGroup : t.newChannel}</h1>
        <fieldset class="kinds">
          <legend class="visually-hidden">{t.newGroup}</legend>
          {(["group", "channel"] as const).map((k) => (
            <label key={k}>
              <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} /> {t.chatKinds[k]}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="chat-title-input">{t.title}</label>
          <input id="chat-title-input" value={title} required maxLength={128} onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="chat-description">{t.description}</label>
          <textarea id="chat-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        {kind === "channel" && (
          <label>
            <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} /> {t.publicChannel}
          </label>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={() => navigate("/")}>{t.cancel}</button>
          <button type="submit" class="primary">{t.create}</button>
        </div>
      </form>
    </main>
  );
}
