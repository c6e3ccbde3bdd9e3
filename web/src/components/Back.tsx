import { t } from "../i18n";
import { navigate } from "../store";

/** Back to the chat list: shown at phone width, where a page hides the list. */
export function Back() {
  return (
    <button type="button" class="page-back" onClick={() => navigate("/")}>
      ← {t.chats}
    </button>
  );
}
