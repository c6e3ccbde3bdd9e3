import { useEffect, useState } from "preact/hooks";
import { ApiError, api, ok, type Session } from "../api/http";
import { shortTime, t } from "../i18n";
import { Back } from "./Back";
import { blocked, me, navigate, signedOut } from "../store";
import { BlockButton } from "./Block";

function useStatus(): [string, (promise: Promise<unknown>, done?: string) => Promise<void>] {
  const [message, setMessage] = useState("");
  const run = async (promise: Promise<unknown>, done = t.saved) => {
    try {
      await promise;
      setMessage(done);
    } catch (caught) {
      setMessage(caught instanceof ApiError ? caught.message : t.error);
    }
  };
  return [message, run];
}

export function Settings() {
  const user = me.value;
  const [displayName, setDisplayName] = useState(user?.display_name ?? "");
  const [bio, setBio] = useState(user?.bio ?? "");
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [sessions, setSessions] = useState<Session[]>([]);
  const [profileStatus, runProfile] = useStatus();
  const [passwordStatus, runPassword] = useStatus();

  const loadSessions = () =>
    ok(api.GET("/api/v1/sessions")).then((page) => setSessions(page.sessions)).catch(() => undefined);
  useEffect(() => void loadSessions(), []);

  return (
    <main class="page settings" aria-labelledby="settings-title">
      <Back />
      <h1 id="settings-title">{t.settings}</h1>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void runProfile(
            ok(api.PATCH("/api/v1/me", { body: { display_name: displayName, bio } })).then((u) => (me.value = u)),
          );
        }}
      >
        <h2>{t.profile}</h2>
        <div class="field">
          <label for="profile-name">{t.displayName}</label>
          <input id="profile-name" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="profile-bio">{t.bio}</label>
          <textarea id="profile-bio" value={bio} onInput={(e) => setBio(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">{t.save}</button>
        <p role="status">{profileStatus}</p>
      </form>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void runPassword(
            ok(api.POST("/api/v1/auth/password", { body: { old_password: oldPassword, new_password: newPassword } })).then(() => {
              setOld("");
              setNew("");
              void loadSessions();
            }),
          );
        }}
      >
        <h2>{t.changePassword}</h2>
        <div class="field">
          <label for="old-password">{t.oldPassword}</label>
          <input id="old-password" type="password" autocomplete="current-password" value={oldPassword} onInput={(e) => setOld(e.currentTarget.value)} required />
        </div>
        <div class="field">
          <label for="new-password">{t.newPassword}</label>
          <input id="new-password" type="password" autocomplete="new-password" minLength={10} value={newPassword} onInput={(e) => setNew(e.currentTarget.value)} required />
        </div>
        <button type="submit" class="primary">{t.save}</button>
        <p role="status">{passwordStatus}</p>
      </form>
      <section class="card" aria-labelledby="blocked-title">
        <h2 id="blocked-title">{t.blockedUsers}</h2>
        {blocked.value.size === 0 ? (
          <p>{t.noBlockedUsers}</p>
        ) : (
          <ul class="sessions">
            {[...blocked.value.values()].map((b) => (
              <li key={b.user_id}>
                <span>
                  {b.display_name} <small>@{b.username}</small>
                </span>
                <BlockButton userId={b.user_id} name={b.display_name} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">{t.sessions}</h2>
        <ul class="sessions">
          {sessions.map((s) => (
            <li key={s.id}>
              <span>
                {s.device_name || "—"} {s.current && <strong>({t.thisDevice})</strong>}
                <br />
                <small>
                  {t.lastSeen} {shortTime(s.last_seen_at_ms)}
                </small>
              </span>
              {!s.current && (
                <button
                  type="button"
                  onClick={() =>
                    void ok(api.DELETE("/api/v1/sessions/{session_id}", { params: { path: { session_id: s.id } } })).then(loadSessions, () => undefined)
                  }
                >
                  {t.revoke}
                </button>
              )}
            </li>
          ))}
        </ul>
        <button
          type="button"
          class="danger"
          onClick={() =>
            void ok(api.POST("/api/v1/auth/logout"))
              .catch(() => undefined)
              .then(() => {
                signedOut();
                navigate("/signin", true);
              })
          }
        >
          {t.signOut}
        </button>
      </section>
    </main>
  );
}
