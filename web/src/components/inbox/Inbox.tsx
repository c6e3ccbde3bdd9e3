// The user's inbox, a chunk of its own (App.tsx): the notices the service sent them, newest
// first, and their statements of reasons (DSA Art. 17) written out for a person to read.
// Opening it marks every notice seen (store.markNoticesSeen): the sidebar's badge clears.
import { signal } from "@preact/signals";
import { useEffect, useId, useState } from "preact/hooks";
import { api, ok, type Notice, type Schemas, type Statement } from "../../api/http";
import { stamp, t } from "../../i18n";
import { catchUpNotices, idAfter, markNoticesSeen, notices, seenNotice } from "../../store";
import { Link } from "../Link";
import { problemText, useAttempt } from "../problems";
import { categoryLabel, StatementCard, statementTitle } from "./StatementCard";

type Complaint = Schemas["Complaint"];
/** statement id → the user's complaint against it, read with the inbox and after each
 * complaint notice (filed or decided). */
const complaints = signal<Map<string, Complaint>>(new Map());

async function loadComplaints(): Promise<void> {
  const found = await ok(api.GET("/api/v1/me/complaints"));
  complaints.value = new Map(found.complaints.map((c) => [c.statement_id, c]));
}

export function Inbox({ statements }: { statements: boolean }) {
  const decided = notices.value.filter((n) => n.kind.startsWith("appeal.")).length;
  useEffect(() => void loadComplaints().catch(() => undefined), [decided]);
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
  if (statement) {
    return (
      <>
        <StatementCard statement={statement} />
        <Complain statement={statement} />
      </>
    );
  }
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
            <Complain statement={statement} />
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

/** A complaint against the statement (DSA Art. 20): its state once filed, else a form. */
function Complain({ statement }: { statement: Statement }) {
  const id = useId();
  const filed = complaints.value.get(statement.id);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, attempt] = useAttempt();
  if (filed) {
    return (
      <div class="complaint" role="status">
        <p>
          <strong>{t.complaintStatus[filed.status] ?? filed.status}</strong>
        </p>
        {filed.decision_reason && <p>{filed.decision_reason}</p>}
      </div>
    );
  }
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    const made = await attempt(
      ok(api.POST("/api/v1/statements/{statement_id}/complaints", { params: { path: { statement_id: statement.id } }, body: { text: text.trim() } })),
    );
    setBusy(false);
    if (made) complaints.value = new Map(complaints.value).set(statement.id, made);
  }
  return (
    <div class="complaint">
      <button type="button" aria-expanded={open} aria-controls={`${id}-form`} onClick={() => setOpen(!open)}>
        {t.complain}
      </button>
      {open && (
        <form id={`${id}-form`} class="complaint" onSubmit={submit}>
          <p class="hint">{t.complaintFormIntro}</p>
          <div class="field">
            <label for={`${id}-text`}>{t.complaintLabel}</label>
            <textarea id={`${id}-text`} required rows={4} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </div>
          {error && <p class="error" role="alert">{error}</p>}
          <div class="buttons start">
            <button type="submit" class="primary" disabled={busy}>
              {t.sendComplaint}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
