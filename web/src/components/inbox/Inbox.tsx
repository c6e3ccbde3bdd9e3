// The user's inbox, a chunk of its own (App.tsx): the notices the service sent them, newest
// first, and their statements of reasons (DSA Art. 17) written out for a person to read.
// Opening it marks every notice seen (store.markNoticesSeen): the sidebar's badge clears.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Notice, type Statement } from "../../api/http";
import { longDate, stamp, t } from "../../i18n";
import { catchUpNotices, idAfter, markNoticesSeen, notices, seenNotice } from "../../store";
import { Link } from "../Link";
import { problemText } from "../problems";

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

/** "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" → our words for it (or the value made readable). */
function categoryLabel(value: string): string {
  const key = value.replace(/^STATEMENT_CATEGORY_/, "");
  return t.categories[key] ?? key.toLowerCase().replaceAll("_", " ");
}

function statementTitle(s: Statement): string {
  const first = restrictions(s)[0];
  return first ? `${t.statementOfReasons}: ${first}` : t.statementOfReasons;
}

/** What was restricted: every restriction the statement names, in words. */
function restrictions(s: Statement): string[] {
  const found: string[] = [];
  for (const v of s.visibility) found.push(t.restrictions[v] ?? v);
  for (const v of [s.monetary, s.provision, s.account]) if (v) found.push(t.restrictions[v] ?? v);
  return found;
}

/** One statement of reasons: what was restricted, why, the facts and rules, how automated,
 * until when, and how to complain. */
export function StatementCard({ statement: s }: { statement: Statement }) {
  const f = t.statementFields;
  const illegal = s.ground === "DECISION_GROUND_ILLEGAL_CONTENT";
  return (
    <dl class="statement">
      <dt>{f.restricted}</dt>
      <dd>
        <ul>
          {restrictions(s).map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      </dd>
      <dt>{f.why}</dt>
      <dd>
        {illegal ? t.groundIllegal : t.groundTerms}
        {s.legal_ground && <> — {s.legal_ground}</>}
        {s.explanation && <p>{s.explanation}</p>}
      </dd>
      <dt>{f.facts}</dt>
      <dd>{s.facts}</dd>
      <dt>{f.category}</dt>
      <dd>{categoryLabel(s.category)}</dd>
      {s.rule_ids && s.rule_ids.length > 0 && (
        <>
          <dt>{f.rules}</dt>
          <dd class="rule-ids">
            {s.rule_ids.map((id) => (
              <code key={id}>{id}</code>
            ))}
          </dd>
        </>
      )}
      <dt>{f.detection}</dt>
      <dd>{s.automated_detection ? t.detectedAutomatically : t.detectedByPeople(t.sources[s.source] ?? s.source)}</dd>
      <dt>{f.decision}</dt>
      <dd>{t.automation[s.automation] ?? s.automation}</dd>
      <dt>{f.until}</dt>
      <dd>{s.end_at_ms ? longDate(s.end_at_ms) : t.noEndDate}</dd>
      <dt>{f.scope}</dt>
      <dd>{s.territorial_scope.join(", ")}</dd>
      <dt>{f.redress}</dt>
      <dd class="redress">{s.redress}</dd>
    </dl>
  );
}
