import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Pot, type Schemas } from "../../api/http";
import { shortDuration, t } from "../../i18n";
import { money } from "../../money";
import { clock, me } from "../../store";
import { problemText, useAttempt } from "../problems";
import { isAdmin } from "../Pots";
import { UploadList, newUpload, upload, type Upload } from "../Media";
import { useAmountForm } from "./fields";

type Proposal = Schemas["Proposal"];

/** Whether the pot spends now: a keep-what-you-raise pot while open or closed, an
 * all-or-nothing one once closed; never frozen (docs/spending.md). */
function spends(pot: Pot): boolean {
  return !pot.frozen && (pot.status === "closed" || (pot.status === "open" && pot.model === "keep_what_you_raise"));
}

function ProposalItem({ pot, proposal, onChange }: { pot: Pot; proposal: Proposal; onChange: (p: Proposal) => void }) {
  const [error, attempt] = useAttempt();
  const tally = proposal.tally;
  const weight = (w: number) => (pot.vote_weighting === "contribution" ? money(w, pot.currency) : String(w));
  const voting = proposal.status === "voting";
  async function vote(approve: boolean) {
    const next = await attempt(ok(api.POST("/api/v1/proposals/{proposal_id}/votes", { params: { path: { proposal_id: proposal.id } }, body: { approve } })));
    if (next) onChange(next);
  }
  return (
    <li class="proposal" data-proposal-id={proposal.id} aria-labelledby={`proposal-${proposal.id}`}>
      <div class="proposal-head">
        <strong id={`proposal-${proposal.id}`}>{proposal.title}</strong>
        <span>{money(proposal.amount_minor, proposal.currency)}</span>
      </div>
      <div class="hint">
        {t.toPayee(proposal.payee)} · <span class={`status ${proposal.status}`}>{t.proposalStatus[proposal.status]}</span>
        {voting && ` · ${t.voteCloses(shortDuration(proposal.closes_at_ms - clock.value))}`}
      </div>
      <div class="hint">{t.tally(weight(tally.yes_weight), weight(tally.no_weight), weight(tally.eligible_weight))}</div>
      {proposal.receipt_media_id && <Receipt proposal={proposal} />}
      {proposal.my_vote && <div class="hint">{t.youVoted(proposal.my_vote.approve)}</div>}
      {voting && proposal.can_vote && !proposal.my_vote && (
        <div class="buttons start">
          <button type="button" class="primary" onClick={() => void vote(true)}>{t.approve}</button>
          <button type="button" onClick={() => void vote(false)}>{t.reject}</button>
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </li>
  );
}

/** The proposal's receipt: its thumbnail where it has one (a picture), and a link to it. */
function Receipt({ proposal }: { proposal: Proposal }) {
  const url = `/api/v1/proposals/${proposal.id}/receipt`;
  const [thumbnail, setThumbnail] = useState(true);
  return (
    <a class="receipt" href={url} target="_blank" rel="noopener" aria-label={t.receiptOf(proposal.title)}>
      {thumbnail && <img src={`${url}/thumbnail`} alt="" onError={() => setThumbnail(false)} />}
      <span>📎 {t.receipt}</span>
    </a>
  );
}

/** The receipt picked for a new proposal: uploaded to the chat at once, with its progress. */
function useReceipt(chatId: string) {
  const [receipt, setReceipt] = useState<Upload | null>(null);
  const patch = (key: string, change: Partial<Upload>) =>
    setReceipt((current) => (current?.key === key ? { ...current, ...change } : current));
  function pick(file: File | undefined) {
    if (!file) return;
    const item = newUpload(file);
    setReceipt(item);
    upload(chatId, file, (progress) => patch(item.key, { progress }))
      .then((media) => patch(item.key, { media, progress: 1 }))
      .catch((caught) => patch(item.key, { error: problemText(caught) }));
  }
  const field = receipt ? (
    <div class="field">
      <span>{t.receipt}</span>
      <UploadList uploads={[receipt]} onRemove={() => setReceipt(null)} />
    </div>
  ) : (
    <div class="field">
      <label for="proposal-receipt">{t.receiptOptional}</label>
      <input id="proposal-receipt" type="file" accept="image/*,application/pdf" onChange={(e) => pick(e.currentTarget.files?.[0])} />
    </div>
  );
  const uploading = receipt !== null && receipt.media === null && receipt.error === null;
  return { field, uploading, mediaId: receipt?.media?.id, clear: () => setReceipt(null) };
}

/** Spending proposals with their tallies and votes, and the form to propose one. */
export function Spending({ chat, pot, version }: { chat: ChatListItem; pot: Pot; version: number }) {
  const [proposals, setProposals] = useState<Proposal[]>([]);
  const [title, setTitle] = useState("");
  const [payee, setPayee] = useState("");
  const form = useAmountForm(pot.currency);
  const receipt = useReceipt(chat.id);

  useEffect(() => {
    ok(api.GET("/api/v1/pots/{pot_id}/proposals", { params: { path: { pot_id: pot.id }, query: { limit: 100 } } }))
      .then((page) => setProposals(page.proposals))
      .catch(() => undefined);
  }, [pot.id, version]);
  const replace = (p: Proposal) => setProposals((list) => [...list.filter((x) => x.id !== p.id), p].sort((a, b) => a.created_at_ms - b.created_at_ms));

  async function submit(event: Event) {
    event.preventDefault();
    const made = await form.send((amount_minor, client_id) =>
      ok(
        api.POST("/api/v1/pots/{pot_id}/proposals", {
          params: { path: { pot_id: pot.id } },
          body: { client_id, title: title.trim(), amount_minor, payee: payee.trim(), receipt_media_id: receipt.mediaId ?? null },
        }),
      ),
    );
    if (!made) return;
    replace(made);
    setTitle("");
    setPayee("");
    receipt.clear();
  }

  const mayPropose = spends(pot) && (pot.mine_minor > 0 || pot.created_by === me.value?.id || isAdmin(chat));
  if (proposals.length === 0 && !mayPropose) return null;
  return (
    <section class="card wide" aria-labelledby="pot-spending">
      <h2 id="pot-spending">{t.spending}</h2>
      <p class="hint">
        {t.totals.available}: {money(pot.available_minor, pot.currency)}
        {pot.reserved_minor > 0 && ` · ${t.totals.reserved}: ${money(pot.reserved_minor, pot.currency)}`}
      </p>
      {proposals.length === 0 ? (
        <p class="hint">{t.noProposals}</p>
      ) : (
        <ul class="proposals">
          {proposals.map((p) => (
            <ProposalItem key={p.id} pot={pot} proposal={p} onChange={replace} />
          ))}
        </ul>
      )}
      {mayPropose && (
        <form class="propose" onSubmit={submit} aria-labelledby="propose-title">
          <h3 id="propose-title">{t.propose}</h3>
          <div class="field">
            <label for="proposal-title">{t.title}</label>
            <input id="proposal-title" value={title} required maxLength={1024} onInput={(e) => setTitle(e.currentTarget.value)} />
          </div>
          {form.field("proposal-amount", t.amount)}
          <div class="field">
            <label for="proposal-payee">{t.payee}</label>
            <input id="proposal-payee" value={payee} required maxLength={1024} onInput={(e) => setPayee(e.currentTarget.value)} />
          </div>
          {receipt.field}
          {form.error && <p class="error" role="alert">{form.error}</p>}
          <button type="submit" class="primary" disabled={receipt.uploading}>{t.propose}</button>
        </form>
      )}
    </section>
  );
}

/** What the user gave, got back, and their share of each payout (GET …/my-share). */
export function MyShare({ pot, version }: { pot: Pot; version: number }) {
  const [share, setShare] = useState<Schemas["MyShare"] | null>(null);
  useEffect(() => {
    ok(api.GET("/api/v1/pots/{pot_id}/my-share", { params: { path: { pot_id: pot.id } } }))
      .then(setShare)
      .catch(() => setShare(null));
  }, [pot.id, version]);
  if (share === null || share.contributed_minor === 0) return null;
  const m = (minor: number) => money(minor, share.currency);
  return (
    <section class="card wide" aria-labelledby="pot-share">
      <h2 id="pot-share">{t.myShare}</h2>
      <dl class="totals">
        <dt>{t.contributed}</dt>
        <dd>{m(share.contributed_minor)}</dd>
        <dt>{t.refundedToYou}</dt>
        <dd>{m(share.refunded_minor)}</dd>
        <dt>{t.yourSpent}</dt>
        <dd>{m(share.spent_minor)}</dd>
        <dt>{t.remaining}</dt>
        <dd>{m(share.remaining_minor)}</dd>
      </dl>
      {share.payouts.length > 0 && (
        <ul class="shares">
          {share.payouts.map((p) => (
            <li key={p.proposal_id}>
              <span class="grow">{t.shareOf(p.title, p.payee)}</span>
              <span>
                {m(p.share_minor)} / {m(p.amount_minor)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
