// The moderator console, a chunk of its own (App.tsx), for moderators and the operator only
// (`User.is_moderator`, `is_operator`; the API answers 404 to anyone else): the queue of open
// cases, one case with its subject as it is now, the reports, what was done and the
// statements of reasons issued, and the form that decides it (docs/trust-and-safety.md).
import { useEffect, useId, useState } from "preact/hooks";
import { api, ok, type Message, type Schemas, type Statement } from "../../api/http";
import { longDate, stamp, t } from "../../i18n";
import { me, names } from "../../store";
import { Link } from "../Link";
import { problemText, useAttempt } from "../problems";
import { CategorySelect } from "../Report";
import { categoryLabel, RuleIds, StatementCard } from "../inbox/StatementCard";
import { Orders } from "./Orders";

type CaseSummary = Schemas["CaseSummary"];
type CaseDetail = Schemas["CaseDetail"];
type ActionName = Schemas["ActIn"]["action"];

export type ConsoleRoute = { view: "queue" } | { view: "orders" } | { view: "case"; caseId: string };

export function Console({ route }: { route: ConsoleRoute }) {
  const operator = me.value?.is_operator ?? false;
  return (
    <main class="page console" aria-labelledby="console-title">
      <h1 id="console-title">{t.moderation}</h1>
      <nav class="tabs" aria-label={t.moderation}>
        <Link to="/mod" aria-current={route.view === "orders" ? undefined : "page"}>
          {t.modQueue}
        </Link>
        <Link to="/mod/orders" aria-current={route.view === "orders" ? "page" : undefined}>
          {t.orders}
        </Link>
      </nav>
      {route.view === "queue" && <Queue />}
      {route.view === "case" && <CaseView caseId={route.caseId} />}
      {route.view === "orders" && <Orders operator={operator} />}
    </main>
  );
}

const subjectWord = (subject: string) => t.subjects[subject] ?? subject;
const who = (id: string | null | undefined) => (id ? names.value.get(id) ?? t.userRef(id) : t.someone);

function Queue() {
  const [cases, setCases] = useState<CaseSummary[] | null>(null);
  const [error, setError] = useState("");
  async function load() {
    try {
      setCases((await ok(api.GET("/api/v1/mod/queue", { params: { query: { limit: 200 } } }))).cases);
      setError("");
    } catch (caught) {
      setError(problemText(caught));
    }
  }
  useEffect(() => void load(), []);
  return (
    <section class="queue" aria-labelledby="queue-title">
      <div class="section-head">
        <h2 id="queue-title">{t.modQueue}</h2>
        <button type="button" onClick={() => void load()}>
          {t.refresh}
        </button>
      </div>
      <p class="hint">{t.modQueueIntro}</p>
      {error && <p class="error" role="alert">{error}</p>}
      {cases === null && !error && <p class="hint" role="status">{t.loading}</p>}
      {cases !== null && cases.length === 0 && <p class="hint">{t.modEmpty}</p>}
      {cases !== null && cases.length > 0 && (
        <ol class="notices cases" aria-label={t.modQueue}>
          {cases.map((c) => (
            <li key={c.id} class="notice case-row" data-case-id={c.id}>
              <p class="notice-head">
                <strong>
                  <Link to={`/mod/cases/${c.id}`}>{t.caseTitle(t.caseKinds[c.kind] ?? c.kind, subjectWord(c.subject))}</Link>
                </strong>
                <span class="badge-pot">{t.priority(c.priority)}</span>
                <time dateTime={new Date(c.opened_at_ms).toISOString()}>{stamp(c.opened_at_ms)}</time>
              </p>
              {(c.category || c.report_count > 0) && (
                <p class="notice-line">
                  {[c.category ? categoryLabel(c.category) : "", c.report_count ? t.reportCount(c.report_count) : "", c.trusted ? t.trustedFlagger : ""]
                    .filter(Boolean)
                    .join(" · ")}
                </p>
              )}
              {c.reason && <p class="notice-line">{c.reason}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The actions the server accepts for this case (domain/moderation.py, `_ACTS_ON`). */
function actionsFor(c: CaseSummary): ActionName[] {
  if (c.kind === "appeal") return ["uphold", "reverse"];
  const found: ActionName[] = ["dismiss"];
  if (c.subject === "message") found.push("remove");
  if (c.subject === "pot") found.push("freeze_pot");
  if (c.subject_user_id) found.push("warn", "suspend", "ban");
  if (["chat", "message", "pot"].includes(c.subject) && c.chat_id) found.push("close_chat");
  return found;
}

function CaseView({ caseId }: { caseId: string }) {
  const [found, setFound] = useState<CaseDetail | null>(null);
  const [error, setError] = useState("");
  async function load() {
    try {
      setFound(await ok(api.GET("/api/v1/mod/cases/{case_id}", { params: { path: { case_id: caseId } } })));
    } catch (caught) {
      setError(problemText(caught));
    }
  }
  useEffect(() => void load(), [caseId]);
  if (found === null) {
    return (
      <section aria-busy={!error}>
        <Link to="/mod" class="back-link">{t.backToQueue}</Link>
        <p class={error ? "error" : "hint"} role={error ? "alert" : "status"}>{error || t.loading}</p>
      </section>
    );
  }
  const c = found;
  const f = t.caseFields;
  return (
    <article class="case" aria-labelledby="case-title" data-case-id={c.id}>
      <Link to="/mod" class="back-link">{t.backToQueue}</Link>
      <h2 id="case-title">{t.caseTitle(t.caseKinds[c.kind] ?? c.kind, subjectWord(c.subject))}</h2>
      <dl class="statement case-facts">
        <dt>{f.status}</dt>
        <dd>
          {t.caseStatus[c.status] ?? c.status}
          {c.decision && ` — ${t.modActions[c.decision] ?? t.outcomes[c.decision] ?? c.decision}`}
        </dd>
        <dt>{f.priority}</dt>
        <dd>{c.priority}</dd>
        <dt>{f.opened}</dt>
        <dd>{stamp(c.opened_at_ms)}</dd>
        <dt>{f.subject}</dt>
        <dd>
          <code>
            {c.subject}:{c.subject_id}
          </code>
        </dd>
        <dt>{f.reason}</dt>
        <dd>{c.reason}</dd>
        <RuleIds ids={c.rule_ids} />
        {c.category && (
          <>
            <dt>{f.category}</dt>
            <dd>{categoryLabel(c.category)}</dd>
          </>
        )}
      </dl>
      <section class="card wide" aria-labelledby="case-subject">
        <h3 id="case-subject">{t.subjectNow}</h3>
        <Subject c={c} />
      </section>
      <section class="card wide" aria-labelledby="case-reports">
        <h3 id="case-reports">{t.reportsHeading}</h3>
        {c.reports.length === 0 ? (
          <p class="hint">{t.noReports}</p>
        ) : (
          <ul class="plain">
            {c.reports.map((r) => (
              <li key={r.id} class="case-report">
                <p>
                  <strong>{categoryLabel(r.category)}</strong> · {t.reporter(who(r.reporter_id))}
                  {r.trusted && ` · ${t.trustedFlagger}`} · <time dateTime={new Date(r.created_at_ms).toISOString()}>{stamp(r.created_at_ms)}</time>
                </p>
                {r.text && <blockquote>{r.text}</blockquote>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {c.status === "open" && <Decide c={c} onDone={load} />}
      {c.actions.length > 0 && (
        <section class="card wide" aria-labelledby="case-actions">
          <h3 id="case-actions">{t.actionsTaken}</h3>
          <ul class="plain">
            {c.actions.map((a) => (
              <li key={a.id}>
                {t.modActions[a.action] ?? a.action} · {who(a.actor_id)} · {stamp(a.created_at_ms)}
                {a.until_ms && ` · ${longDate(a.until_ms)}`}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card wide" aria-labelledby="case-statements">
        <h3 id="case-statements">{t.statementsIssued}</h3>
        {c.statements.length === 0 ? (
          <p class="hint">{t.noStatementsIssued}</p>
        ) : (
          c.statements.map((s) => <StatementCard key={s.id} statement={s} />)
        )}
      </section>
    </article>
  );
}

const field = (content: Record<string, unknown>, key: string): string => {
  const value = content[key];
  return typeof value === "string" ? value : "";
};

/** The message, user, chat, pot or complained-against statement, as the case shows it now. */
function Subject({ c }: { c: CaseDetail }) {
  const content = c.content;
  if (content === null) return <p class="hint">{t.subjectGone}</p>;
  if (c.subject === "message") {
    const m = content as unknown as Message;
    return (
      <div class="subject-message">
        <p class="hint">{t.sentBy(who(m.sender_id))} · {stamp(m.created_at_ms)}</p>
        {m.deleted ? <p class="deleted">{t.removedContent}</p> : <blockquote>{m.text ?? "📎"}</blockquote>}
        {m.attachments.length > 0 && <p class="hint">📎 {m.attachments.map((a) => a.filename).join(", ")}</p>}
      </div>
    );
  }
  if (c.subject === "statement") {
    return (
      <>
        <p>
          <strong>{t.complaintText}:</strong>
        </p>
        <blockquote>{field(c.data, "text")}</blockquote>
        <StatementCard statement={content as unknown as Statement} />
      </>
    );
  }
  if (c.subject === "user") {
    const restriction = content["restriction"] as { kind: string; until_ms: number | null } | null;
    return (
      <>
        <p>
          <strong>{field(content, "display_name")}</strong> @{field(content, "username")}
        </p>
        {field(content, "bio") && <p>{field(content, "bio")}</p>}
        {content["warned"] === true && <p class="verdict review">{t.warned}</p>}
        {restriction && (
          <p class="verdict hold">
            {restriction.until_ms ? t.restrictedUntil(restriction.kind, longDate(restriction.until_ms)) : t.restrictedForever(restriction.kind)}
          </p>
        )}
      </>
    );
  }
  return (
    <>
      <p>
        <strong>{field(content, "title")}</strong>
        {field(content, "kind") && ` · ${t.chatKinds[field(content, "kind")] ?? ""}`}
        {field(content, "status") && ` · ${field(content, "status")}`}
      </p>
      {field(content, "description") && <p>{field(content, "description")}</p>}
      {content["frozen"] === true && <p class="verdict hold">{t.frozen}</p>}
    </>
  );
}

/** One action, its explanation (the statement's, or the answer to a complaint), and what
 * some actions take besides: a category, a suspension's length, a refund. */
function Decide({ c, onDone }: { c: CaseDetail; onDone: () => Promise<void> }) {
  const id = useId();
  const choices = actionsFor(c);
  const [action, setAction] = useState<ActionName>(choices[0]!);
  const [reason, setReason] = useState("");
  const [category, setCategory] = useState(c.category ?? "");
  const [days, setDays] = useState("");
  const [refund, setRefund] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, attempt] = useAttempt();
  const restricts = !["dismiss", "uphold", "reverse"].includes(action);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    const result = await attempt(
      ok(
        api.POST("/api/v1/mod/cases/{case_id}/actions", {
          params: { path: { case_id: c.id } },
          body: {
            action,
            reason: reason.trim(),
            category: restricts && category ? (category as Schemas["Category"]) : null,
            duration_s: action === "suspend" && days ? Math.round(Number(days) * 86_400) : null,
            refund: action === "freeze_pot" && refund,
          },
        }),
      ),
    );
    setBusy(false);
    if (result) await onDone();
  }
  return (
    <form class="card wide decide" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h3 id={`${id}-title`}>{t.decide}</h3>
      <fieldset class="choices">
        <legend>{t.actionLabel}</legend>
        {choices.map((name) => (
          <label key={name} class="check">
            <input type="radio" name={`${id}-action`} value={name} checked={action === name} onChange={() => setAction(name)} /> {t.modActions[name] ?? name}
          </label>
        ))}
      </fieldset>
      {action === "freeze_pot" && (
        <label class="check">
          <input type="checkbox" checked={refund} onChange={(e) => setRefund(e.currentTarget.checked)} /> {t.refundToo}
        </label>
      )}
      {action === "suspend" && (
        <div class="field">
          <label for={`${id}-days`}>{t.suspendDays}</label>
          <input id={`${id}-days`} type="number" min={1} step="any" inputMode="decimal" value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        </div>
      )}
      {restricts && (
        <div class="field">
          <label for={`${id}-category`}>{t.statementCategory}</label>
          <CategorySelect id={`${id}-category`} value={category} onChange={setCategory} placeholder={t.reportsCategory} />
        </div>
      )}
      <div class="field">
        <label for={`${id}-reason`}>{c.kind === "appeal" ? t.modAnswer : t.modReason}</label>
        <textarea id={`${id}-reason`} required rows={3} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="buttons start">
        <button type="submit" class={restricts ? "primary danger-fill" : "primary"} disabled={busy}>
          {t.decide}
        </button>
      </div>
    </form>
  );
}
