import { useState } from "preact/hooks";
import { ApiError, api, ok, type Chat } from "../api/http";
import { t } from "../i18n";
import { Back } from "./Back";
import { TextFields, type TextLimits } from "./TextFields";
import { navigate, refreshChat } from "../store";

type Kind = "group" | "channel" | "direct";
/** A chat's title and description (the server's limits, domain/chats.py). */
export const CHAT_TEXT: TextLimits = { titleMax: 128, descriptionMax: 2048 };

/** The user with exactly this username, or a not-found problem. */
export async function findUser(username: string): Promise<string> {
  const name = username.trim().replace(/^@/, "").toLowerCase();
  const found = await ok(api.GET("/api/v1/users", { params: { query: { prefix: name, limit: 5 } } }));
  const user = found.users.find((u) => u.username === name);
  if (!user) throw new ApiError(404, "not_found", t.noSuchUser(name));
  return user.id;
}

export function NewChat() {
  const [kind, setKind] = useState<Kind>("group");
  const [title, setTitle] = useState("");
  const [username, setUsername] = useState("");
  const [description, setDescription] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [error, setError] = useState("");

  async function create(): Promise<Chat> {
    if (kind === "direct") {
      const user_id = await findUser(username);
      return ok(api.POST("/api/v1/chats/direct", { body: { user_id } }));
    }
    return ok(
      api.POST("/api/v1/chats", {
        body: { kind, title, description, is_public: kind === "channel" && isPublic, signed_posts: false },
      }),
    );
  }

  async function submit(event: Event) {
    event.preventDefault();
    setError("");
    try {
      const chat = await create();
      await refreshChat(chat.id);
      navigate(`/chat/${chat.id}`, true);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : t.error);
    }
  }

  const heading = kind === "group" ? t.newGroup : kind === "channel" ? t.newChannel : t.newDirect;
  return (
    <main class="page" aria-labelledby="new-title">
      <Back />
      <form class="card" onSubmit={submit}>
        <h1 id="new-title">{heading}</h1>
        <fieldset class="kinds">
          <legend class="visually-hidden">{t.newChat}</legend>
          {(["group", "channel", "direct"] as const).map((k) => (
            <label key={k}>
              <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} /> {t.chatKinds[k]}
            </label>
          ))}
        </fieldset>
        {kind === "direct" ? (
          <div class="field">
            <label for="direct-username">{t.username}</label>
            <input id="direct-username" value={username} required onInput={(e) => setUsername(e.currentTarget.value)} />
          </div>
        ) : (
          <TextFields {...CHAT_TEXT} title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
        )}
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
