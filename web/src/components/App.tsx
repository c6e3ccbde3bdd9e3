import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";
import { followOwner } from "../outbox";
import { booted, chats, me, navigate, openChatId, path, potRoute, status, unseenNotices, type PotRoute } from "../store";
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

const loadedChunks = new Map<string, unknown>();

/** A screen in a chunk of its own, fetched the first time it is opened: the first load
 * stays small (tests/web/test_ui_budget.py). */
function Lazy<M>(props: { name: string; load: () => Promise<M>; label: string; render: (module: M) => preact.JSX.Element }) {
  const [loaded, setLoaded] = useState(() => (loadedChunks.get(props.name) as { module: M } | undefined) ?? null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (loaded) return;
    props
      .load()
      .then((module) => {
        const box = { module };
        loadedChunks.set(props.name, box);
        setLoaded(box);
      })
      .catch(() => setFailed(true));
  }, []);
  if (loaded) return props.render(loaded.module);
  return (
    <main class="page" aria-label={props.label} aria-busy={!failed}>
      <p class={failed ? "error" : "hint"} role={failed ? "alert" : "status"}>{failed ? t.error : t.loading}</p>
    </main>
  );
}

const LazyPotScreen = ({ route }: { route: PotRoute }) => (
  <Lazy name="pots" load={() => import("./pots/PotScreens")} label={t.pots} render={(m) => <m.PotScreen route={route} />} />
);

type ConsoleRoute = import("./mod/Console").ConsoleRoute;

/** A console route (/mod, /mod/orders, /mod/cases/<id>), for moderators and the operator
 * only: for anyone else these paths are nothing (the API answers them 404 too). */
function consoleRoute(route: string): ConsoleRoute | null {
  if (!(me.value?.is_moderator || me.value?.is_operator)) return null;
  if (route === "/mod") return { view: "queue" };
  if (route === "/mod/orders") return { view: "orders" };
  const caseId = /^\/mod\/cases\/([1-9][0-9]{0,18})$/.exec(route)?.[1];
  return caseId ? { view: "case", caseId } : null;
}

const LazyConsole = ({ route }: { route: ConsoleRoute }) => (
  <Lazy name="console" load={() => import("./mod/Console")} label={t.moderation} render={(m) => <m.Console route={route} />} />
);

const LazyInbox = ({ statements }: { statements: boolean }) => (
  <Lazy name="inbox" load={() => import("./inbox/Inbox")} label={t.inbox} render={(m) => <m.Inbox statements={statements} />} />
);

/** The inbox, with how many notices arrived since the user last looked. */
function InboxLink() {
  const unseen = unseenNotices.value;
  return (
    <Link to="/inbox">
      {t.inbox}
      {unseen > 0 && (
        <>
          <span class="badge inbox-badge" aria-hidden="true">
            {unseen}
          </span>
          <span class="visually-hidden">{t.newNotices(unseen)}</span>
        </>
      )}
    </Link>
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
          <InboxLink />
          {(me.value?.is_moderator || me.value?.is_operator) && <Link to="/mod">{t.moderation}</Link>}
          <Link to="/settings">{t.settings}</Link>
        </nav>
      </header>
      <ChatList />
    </aside>
  );
}

export function App() {
  const userId = me.value?.id ?? null;
  useEffect(() => followOwner(userId), [userId]);
  // The tab's title counts unread messages, as other messengers' do: seen from another tab.
  const unread = [...chats.value.values()].reduce((sum, chat) => sum + chat.unread_count, 0);
  useEffect(() => {
    document.title = unread ? `(${unread}) ${t.appName}` : t.appName;
  }, [unread]);
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
  const moderating = consoleRoute(route);
  let content = <main class="placeholder" aria-label={t.main}><p>{t.chats}</p></main>;
  if (chatId) content = <ChatView chatId={chatId} />;
  else if (pot) content = <LazyPotScreen route={pot} />;
  else if (route === "/new") content = <NewChat />;
  else if (route === "/settings") content = <Settings />;
  else if (route === "/channels") content = <Channels />;
  else if (invite) content = <InvitePage code={invite} />;
  else if (route === "/inbox" || route === "/inbox/statements") content = <LazyInbox statements={route !== "/inbox"} />;
  else if (moderating) content = <LazyConsole route={moderating} />;
  const detail =
    chatId !== null || pot !== null || invite !== null || moderating !== null || ["/new", "/settings", "/channels", "/inbox", "/inbox/statements"].includes(route);
  return (
    <div class={detail ? "layout detail" : "layout"}>
      <Connection />
      <Sidebar />
      {content}
    </div>
  );
}
