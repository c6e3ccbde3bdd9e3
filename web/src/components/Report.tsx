// Reporting a message, a user, a chat or a pot (DSA Art. 16): a DSA category and what is
// wrong, in a modal dialog; the acknowledgement replaces the form, and the decision comes
// later as a notice in the inbox (docs/trust-and-safety.md, "Reports").
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/http";
import { t } from "../i18n";
import { useAttempt } from "./problems";

export type Category = Schemas["Category"];

/** What is reported: a message needs its chat. */
export interface ReportTarget {
  subject: "message" | "user" | "chat" | "pot";
  subjectId: string;
  chatId?: string;
  /** How the dialog names it: a user's or a chat's name, a pot's title. */
  name?: string;
}

const PREFIX = "STATEMENT_CATEGORY_";
/** The categories in the order of our words for them. */
export function categoryOptions(): { value: Category; label: string }[] {
  return Object.entries(t.categories)
    .map(([key, label]) => ({ value: `${PREFIX}${key}` as Category, label }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** The category select with a placeholder first: nothing is picked for the user. */
export function CategorySelect(props: { id: string; value: string; onChange: (value: string) => void; required?: boolean; placeholder: string }) {
  return (
    <select id={props.id} required={props.required} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      <option value="">{props.placeholder}</option>
      {categoryOptions().map((c) => (
        <option key={c.value} value={c.value}>
          {c.label}
        </option>
      ))}
    </select>
  );
}

/** The dialog, open while mounted; `onClose` when it closes (Escape, Cancel, Close). */
export function ReportDialog({ target, onClose }: { target: ReportTarget; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [category, setCategory] = useState("");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [received, setReceived] = useState(false);
  const [error, attempt] = useAttempt();
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    const receipt = await attempt(
      ok(
        api.POST("/api/v1/reports", {
          body: {
            subject: target.subject,
            subject_id: target.subjectId,
            chat_id: target.chatId ?? null,
            category: category as Category,
            text: text.trim(),
          },
        }),
      ),
    );
    setBusy(false);
    if (receipt) setReceived(true);
  }
  const title = t.reportTitle[target.subject](target.name ?? "");
  return (
    <dialog ref={dialog} class="confirm report" aria-labelledby={`${id}-title`} onClose={onClose}>
      {received ? (
        <div class="report-done" role="status">
          <h2 id={`${id}-title`}>{t.reportReceived}</h2>
          <p>{t.reportReceivedText}</p>
          <div class="buttons">
            <button type="button" class="primary" autoFocus onClick={() => dialog.current?.close()}>
              {t.closeMenu}
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit}>
          <h2 id={`${id}-title`}>{title}</h2>
          <p class="hint">{t.reportIntro}</p>
          <div class="field">
            <label for={`${id}-category`}>{t.reportCategory}</label>
            <CategorySelect id={`${id}-category`} required value={category} onChange={setCategory} placeholder={t.chooseCategory} />
          </div>
          <div class="field">
            <label for={`${id}-text`}>{t.reportText}</label>
            <textarea id={`${id}-text`} rows={4} maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </div>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              {t.cancel}
            </button>
            <button type="submit" class="primary" disabled={busy}>
              {t.sendReport}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}

/** A button that opens the report dialog for `target`. */
export function ReportButton({ target, label }: { target: ReportTarget; label: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="report-button" onClick={() => setOpen(true)}>
        {label}
      </button>
      {open && <ReportDialog target={target} onClose={() => setOpen(false)} />}
    </>
  );
}
