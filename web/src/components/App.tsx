import { t } from "../i18n";
import { booted, me, navigate, openChatId, path, status } from "../store";
import { AuthScreen } from "./Auth";
import { ChatList } from "./ChatList";
import { ChatView } from "./ChatView";
import { Channels, InvitePage } from "./Channels";
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

function Sidebar() {
  const link = (to: string, label: string) => (
    <a
      href={to}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {label}
    </a>
  );
  return (
    <aside class="sidebar">
      <header class="side-header">
        <span class="brand">{t.appName}</span>
        <nav class="side-actions" aria-label={t.settings}>
          {link("/new", `+ ${t.newChat}`)}
          {link("/channels", t.browseChannels)}
          {link("/settings", t.settings)}
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
  const invite = /^\/invite\/([^/]+)$/.exec(route)?.[1] ?? null;
  let content = <main class="placeholder" aria-label={t.main}><p>{t.chats}</p></main>;
  if (chatId) content = <ChatView chatId={chatId} />;
  else if (route === "/new") content = <NewChat />;
  else if (route === "/settings") content = <Settings />;
  else if (route === "/channels") content = <Channels />;
  else if (invite) content = <InvitePage code={invite} />;
  const detail = chatId !== null || invite !== null || ["/new", "/settings", "/channels"].includes(route);
  return (
    <div class={detail ? "layout detail" : "layout"}>
      <Connection />
      <Sidebar />
      {content}
    </div>
  );
}
