import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";
import { booted, me, navigate, openChatId, path, potRoute, status, type PotRoute } from "../store";
import { AuthScreen } from "./Auth";
import { ChatList } from "./ChatList";
import { ChatView } from "./ChatView";
import { Channels, InvitePage } from "./Channels";
import { Link } from "./Link";
import { NewChat } from "./NewChat";
import { Settings } from "./Settings";

function Connection() {
  const now = status.value;
  return (
    <div class={`connection ${now}`} role="status" aria-live="polite">
      {now === "offline" ? t.offline : now === "connecting" ? t.connecting : ""}
    </div>
  );
}

type PotScreens = typeof import("./pots/PotScreens");
let potScreens: PotScreens | null = null;

/** The pot screens are a chunk of their own, fetched the first time one is opened: the first
 * load stays small (tests/web/test_ui_budget.py). */
function LazyPotScreen({ route }: { route: PotRoute }) {
  const [loaded, setLoaded] = useState(potScreens);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (loaded) return;
    import("./pots/PotScreens")
      .then((module) => setLoaded((potScreens = module)))
      .catch(() => setFailed(true));
  }, []);
  if (loaded) return <loaded.PotScreen route={route} />;
  return (
    <main class="page" aria-label={t.pots} aria-busy={!failed}>
      <p class={failed ? "error" : "hint"} role={failed ? "alert" : "status"}>{failed ? t.error : t.loading}</p>
    </main>
  );
}

function Sidebar() {
  return (
    <aside class="sidebar">
      <header class="side-header">
        <span class="brand">{t.appName}</span>
        <nav class="side-actions" aria-label={t.settings}>
          <Link to="/new">+ {t.newChat}</Link>
          <Link to="/channels">{t.browseChannels}</Link>
          <Link to="/settings">{t.settings}</Link>
        </nav>
      </header>
      <ChatList />
    </aside>
  );
}

export function App() {
  if (!booted.value) return null;
  const route = path.value;
  if (me.value === null) return <AuthScreen mode={route.startsWith("/signup") ? "signup" : "signin"} />;
  if (route === "/signin" || route === "/signup") {
    queueMicrotask(() => navigate("/", true));
    return null;
  }
  const chatId = openChatId();
  const pot = potRoute();
  const invite = /^\/invite\/([^/]+)$/.exec(route)?.[1] ?? null;
  let content = <main class="placeholder" aria-label={t.main}><p>{t.chats}</p></main>;
  if (chatId) content = <ChatView chatId={chatId} />;
  else if (pot) content = <LazyPotScreen route={pot} />;
  else if (route === "/new") content = <NewChat />;
  else if (route === "/settings") content = <Settings />;
  else if (route === "/channels") content = <Channels />;
  else if (invite) content = <InvitePage code={invite} />;
  const detail = chatId !== null || pot !== null || invite !== null || ["/new", "/settings", "/channels"].includes(route);
  return (
    <div class={detail ? "layout detail" : "layout"}>
      <Connection />
      <Sidebar />
      {content}
    </div>
  );
}
