// The user's inbox, a chunk of its own (App.tsx): the notices the service sent them, newest
// first, and their statements of reasons (DSA Art. 17) written out for a person to read.
// Opening it marks every notice seen (store.markNoticesSeen): the sidebar's badge clears.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Notice, type Statement } from "../../api/http";
import { stamp, t } from "../../i18n";
import { catchUpNotices, idAfter, markNoticesSeen, notices, seenNotice } from "../../store";
import { Link } from "../Link";
import { problemText } from "../problems";
import { categoryLabel, StatementCard, statementTitle } from "./StatementCard";

export function Inbox({ statements }: { statements: boolean }) {
  return (
    <main class="page inbox" aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t.inbox}</h1>
      <nav class="tabs" aria-label={t.inbox}>
        <Link to="/inbox" aria-current={statements ? undefined : "page"}>{t.notices}</Link>
        <Link to="/inbox/statements" aria-current={statements ? "page" : undefined}>{t.statements}</Link>
      </nav>
      {statements ? <Statements /> : <Notices />}
    </main>
  );
}

function Notices() {
  const [error, setError] = useState("");
  const [loaded, setLoaded] = useState(false);
  // What was new when the inbox opened stays marked as new while it is open.
  const [seenAtOpen] = useState(seenNotice.value);
  const list = notices.value;
  useEffect(() => {
    catchUpNotices(true)
      .then(() => setLoaded(true))
      .catch((caught) => setError(problemText(caught)));
  }, []);
  useEffect(markNoticesSeen, [list.length]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (list.length === 0) return <p class="hint" role="status">{loaded ? t.noNotices : t.loading}</p>;
  return (
    <ul class="notices" aria-label={t.notices}>
      {[...list].reverse().map((notice) => {
        const fresh = idAfter(notice.id, seenAtOpen);
        return (
          <li key={notice.id} class={fresh ? "notice new" : "notice"} data-notice-id={notice.id}>
            <p class="notice-head">
              <strong>{noticeTitle(notice)}</strong>
              {fresh && <span class="badge-pot">{t.newNotice}</span>}
              <time dateTime={new Date(notice.created_at_ms).toISOString()}>{stamp(notice.created_at_ms)}</time>
            </p>
            <NoticeBody notice={notice} />
          </li>
        );
      })}
    </ul>
  );
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

function noticeTitle(notice: Notice): string {
  const statement = statementOf(notice);
  if (statement) return statementTitle(statement);
  return t.noticeKinds[notice.kind] ?? notice.kind;
}

function statementOf(notice: Notice): Statement | null {
  const found = notice.data["statement"];
  return typeof found === "object" && found !== null ? (found as Statement) : null;
}

/** What each kind of notice says; the kinds and their data: colletta/actions/notices.py. */
function NoticeBody({ notice }: { notice: Notice }) {
  const data = notice.data;
  const statement = statementOf(notice);
  if (statement) return <StatementCard statement={statement} />;
  const lines: string[] = [];
  const subject = text(data["subject"]);
  if (subject) lines.push(t.aboutSubject(t.subjects[subject] ?? subject));
  const category = text(data["category"]);
  if (category) lines.push(`${t.statementFields.category}: ${categoryLabel(category)}`);
  const outcome = text(data["outcome"]) || text(data["status"]);
  if (outcome) lines.push(t.outcomes[outcome] ?? outcome);
  for (const key of ["reason", "decision_reason", "text"]) if (text(data[key])) lines.push(text(data[key]));
  if (text(data["authority"])) lines.push(t.orderFrom(text(data["authority"]), text(data["reference"])));
  return (
    <>
      {lines.map((line, i) => (
        <p key={i} class="notice-line">{line}</p>
      ))}
    </>
  );
}

function Statements() {
  const [list, setList] = useState<Statement[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState("");
  async function load(before?: string) {
    try {
      const page = await ok(api.GET("/api/v1/me/statements", { params: { query: { before, limit: 50 } } }));
      setList((shown) => [...(before ? (shown ?? []) : []), ...page.statements]);
      setNext(page.next_before);
    } catch (caught) {
      setError(problemText(caught));
    }
  }
  // A new statement arrives as a notice: the list follows it.
  const statementNotices = notices.value.filter((n) => n.kind === "statement").length;
  useEffect(() => void load(), [statementNotices]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (list === null) return <p class="hint" role="status">{t.loading}</p>;
  if (list.length === 0) return <p class="hint">{t.noStatements}</p>;
  return (
    <>
      <p class="hint">{t.statementsIntro}</p>
      <ul class="notices" aria-label={t.statements}>
        {list.map((statement) => (
          <li key={statement.id} class="notice" data-statement-id={statement.id}>
            <p class="notice-head">
              <strong>{statementTitle(statement)}</strong>
              <time dateTime={new Date(statement.created_at_ms).toISOString()}>{stamp(statement.created_at_ms)}</time>
            </p>
            <StatementCard statement={statement} />
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => void load(next)}>
          {t.showMore}
        </button>
      )}
    </>
  );
}

