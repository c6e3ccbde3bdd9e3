// Blocking a user (docs/trust-and-safety.md, "Blocking"): private to the blocker, asked for
// once with what it does; the same button unblocks.
import { api, ok } from "../api/http";
import { t } from "../i18n";
import { blocked, blocksChanged } from "../store";
import { useAttempt } from "./problems";

export function BlockButton({ userId, name }: { userId: string; name: string }) {
  const [error, attempt] = useAttempt();
  const isBlocked = blocked.value.has(userId);
  const path = { user_id: userId };
  const toggle = () => {
    if (!isBlocked && !confirm(t.blockConfirm(name))) return;
    const change = isBlocked
      ? ok(api.DELETE("/api/v1/me/blocks/{user_id}", { params: { path } }))
      : ok(api.POST("/api/v1/me/blocks/{user_id}", { params: { path } }));
    void attempt(change.then(blocksChanged));
  };
  return (
    <>
      <button type="button" class={isBlocked ? "" : "danger"} onClick={toggle}>
        {isBlocked ? t.unblockUser(name) : t.blockUser(name)}
      </button>
      {error && <p role="alert">{error}</p>}
    </>
  );
}
