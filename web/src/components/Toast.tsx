// A line above the composer for what an action did out of sight: a forward sent to another
// chat, or the server's refusal of an edit, a forward or a delete.
import { signal } from "@preact/signals";
import { ApiError } from "../api/http";
import { t } from "../i18n";

/** What just happened to an action of the user's that is not on screen by itself: a
 * forward sent elsewhere, or a refusal. Shown above the composer until dismissed. */
export const toast = signal<{ text: string; problem: boolean } | null>(null);
export const refused = (error: unknown) => (toast.value = { text: error instanceof ApiError ? error.message : t.error, problem: true });

export function Toast() {
  const now = toast.value;
  if (now === null) return null;
  return (
    <div class={now.problem ? "toast error" : "toast"} role={now.problem ? "alert" : "status"}>
      <span>{now.text}</span>
      <button type="button" aria-label={t.dismiss} onClick={() => (toast.value = null)}>
        ✕
      </button>
    </div>
  );
}
