import { useState } from "preact/hooks";
import { ApiError, api, ok } from "../api/http";
import { t } from "../i18n";
import { me, navigate, path, startSession } from "../store";

function Field(props: {
  id: string;
  label: string;
  password?: boolean;
  value: string;
  hint?: string;
  autocomplete?: string;
  onInput: (value: string) => void;
}) {
  const common = {
    id: props.id,
    name: props.id,
    value: props.value,
    autocomplete: props.autocomplete,
    "aria-describedby": props.hint ? `${props.id}-hint` : undefined,
    required: true,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.password ? <input type="password" {...common} /> : <input type="text" {...common} />}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** "Web · Linux x86_64": what the sessions list shows for this browser. */
function deviceName(): string {
  return `Web · ${navigator.platform || "browser"}`.slice(0, 200);
}

export function AuthScreen({ mode }: { mode: "signin" | "signup" }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (signup) {
        await ok(
          api.POST("/api/v1/auth/register", {
            body: { username, password, display_name: displayName || null },
          }),
        );
      }
      const login = await ok(
        api.POST("/api/v1/auth/web-login", {
          body: { username, password, device_name: deviceName() },
        }),
      );
      me.value = login.user;
      await startSession();
      // Back where the visitor was headed (an invite link, a chat), else the chat list.
      const headed = path.value;
      navigate(headed.startsWith("/signin") || headed.startsWith("/signup") ? "/" : headed, true);
    } catch (caught) {
      const problem = caught instanceof ApiError ? caught : null;
      setError(
        problem?.status === 401
          ? t.badLogin
          : problem?.status === 429
            ? t.rateLimited
            : (problem?.message ?? t.error),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <form class="card" onSubmit={submit} aria-labelledby="auth-title">
        <h1 id="auth-title">{signup ? t.signUp : t.signIn}</h1>
        <Field
          id="username"
          label={t.username}
          value={username}
          onInput={setUsername}
          autocomplete="username"
          hint={signup ? t.usernameHint : undefined}
        />
        {signup && (
          <Field
            id="display_name"
            label={t.displayName}
            value={displayName}
            onInput={setDisplayName}
            autocomplete="nickname"
          />
        )}
        <Field
          id="password"
          label={t.password}
          password
          value={password}
          onInput={setPassword}
          autocomplete={signup ? "new-password" : "current-password"}
          hint={signup ? t.passwordHint : undefined}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {signup ? t.signUp : t.signIn}
        </button>
        <p>
          {signup ? t.haveAccount : t.noAccount}{" "}
          <a
            href={signup ? "/signin" : "/signup"}
            onClick={(e) => {
              e.preventDefault();
              navigate(signup ? "/signin" : "/signup");
            }}
          >
            {signup ? t.signIn : t.signUp}
          </a>
        </p>
      </form>
    </main>
  );
}
