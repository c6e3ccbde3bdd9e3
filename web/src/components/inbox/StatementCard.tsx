// A statement of reasons (DSA Art. 17) written out for a person: in the inbox for the user it
// restricts, and in the moderator console for the statements a case issued.
import type { Statement } from "../../api/http";
import { longDate, t } from "../../i18n";

/** "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" → our words for it (or the value made readable). */
export function categoryLabel(value: string): string {
  const key = value.replace(/^STATEMENT_CATEGORY_/, "");
  return t.categories[key] ?? key.toLowerCase().replaceAll("_", " ");
}

export function statementTitle(s: Statement): string {
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
      <RuleIds ids={s.rule_ids ?? []} />
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

/** The rule ids of a decision, as a term of a `<dl>`; nothing when there are none. */
export function RuleIds({ ids }: { ids: string[] }) {
  if (ids.length === 0) return null;
  return (
    <>
      <dt>{t.statementFields.rules}</dt>
      <dd class="rule-ids">
        {ids.map((id) => (
          <code key={id}>{id}</code>
        ))}
      </dd>
    </>
  );
}
