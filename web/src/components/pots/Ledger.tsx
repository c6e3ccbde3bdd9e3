import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Pot, type Schemas } from "../../api/http";
import { stamp, t } from "../../i18n";
import { money } from "../../money";
import { problemText } from "../problems";
import { Link } from "../Link";
import { potPath } from "../Pots";

type Ledger = Schemas["Ledger"];
const TOTALS = ["raised", "refunded", "spent", "reserved", "balance", "available"] as const;

/** Every transfer of the pot, oldest first, with the ledger's totals and the whole of it as a
 * CSV file. */
export function LedgerPage({ chat, pot, version }: { chat: ChatListItem; pot: Pot; version: number }) {
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [error, setError] = useState("");
  async function load(after?: string) {
    const page = await ok(api.GET("/api/v1/pots/{pot_id}/ledger", { params: { path: { pot_id: pot.id }, query: { after, limit: 100 } } }));
    setLedger((shown) => (after && shown ? { ...page, transfers: [...shown.transfers, ...page.transfers] } : page));
  }
  useEffect(() => void load().catch((caught) => setError(problemText(caught))), [pot.id, version]);
  const totals = ledger?.totals;
  return (
    <main class="page pot-page" aria-labelledby="ledger-title">
      <Link to={potPath(chat.id, pot.id)} class="back-link">← {pot.title}</Link>
      <h1 id="ledger-title">
        {t.ledger}: {pot.title}
      </h1>
      {error && <p class="error" role="alert">{error}</p>}
      {totals && (
        <dl class="totals card wide">
          {TOTALS.map((key) => (
            <div key={key}>
              <dt>{t.totals[key]}</dt>
              <dd>{money(totals[`${key}_minor`], totals.currency)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p>
        <a class="button" href={`/api/v1/pots/${pot.id}/ledger.csv`} download>
          {t.downloadCsv}
        </a>
      </p>
      {ledger && ledger.transfers.length === 0 && <p class="hint">{t.noTransfers}</p>}
      {ledger && ledger.transfers.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="ledger-title">
          <table class="ledger">
            <thead>
              <tr>
                {t.ledgerColumns.map((name, i) => (
                  <th scope="col" key={name} class={i === 1 ? "num" : undefined}>
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ledger.transfers.map((row) => (
                <tr key={row.transfer} class={row.state}>
                  <td>
                    <time dateTime={new Date(row.at_ms).toISOString()}>{stamp(row.at_ms)}</time>
                  </td>
                  <td class="num">{money(row.code === "contribution" ? row.amount_minor : -row.amount_minor, row.currency)}</td>
                  <td>{t.codes[row.code] ?? row.code}</td>
                  <td>{row.who ?? t.anonymous}</td>
                  <td>{row.code === "payout" ? row.why : ""}</td>
                  <td>{t.transferStates[row.state] ?? row.state}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {ledger?.next_after && (
        <button type="button" onClick={() => void load(ledger.next_after ?? undefined).catch(() => undefined)}>
          {t.showMore}
        </button>
      )}
    </main>
  );
}
