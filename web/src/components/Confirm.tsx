import { useId, useRef, useState } from "preact/hooks";
import { t } from "../i18n";

/** A button that asks first, in a modal dialog; `reason`: the dialog also asks for one, so
 * labelled. The caller shows a refusal: the dialog closes either way. */
export function Confirm(props: { label: string; text: string; danger?: boolean; reason?: string; onConfirm: (reason: string) => Promise<unknown> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  async function confirm(event: Event) {
    event.preventDefault();
    setBusy(true);
    await props.onConfirm(reason.trim());
    setBusy(false);
    setReason("");
    dialog.current?.close();
  }
  return (
    <>
      <button type="button" class={props.danger ? "danger" : undefined} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} class="confirm" aria-labelledby={`${id}-text`}>
        <form onSubmit={confirm}>
          <p id={`${id}-text`}>{props.text}</p>
          {props.reason && (
            <div class="field">
              <label for={`${id}-reason`}>{props.reason}</label>
              <input id={`${id}-reason`} required maxLength={512} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </div>
          )}
          <div class="buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              {t.cancel}
            </button>
            <button type="submit" class={props.danger ? "primary danger-fill" : "primary"} disabled={busy}>
              {props.label}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
