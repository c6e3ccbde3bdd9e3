// Blocking a user (docs/trust-and-safety.md, "Blocking"): private to the blocker, asked for
// once with what it does; the same button unblocks.
import { api, ok } from "../api/http";
import { t } from "../i18n";
import { blocked, blocksChanged } from "../store";
import { Confirm } from "./Confirm";
import { useAttempt } from "./problems";

export function BlockButton({ userId, name }: { userId: string; name: string }) {
  const [error, attempt] = useAttempt();
  const path = { user_id: userId };
  return (
    <>
      {blocked.value.has(userId) ? (
        <button type="button" onClick={() => void attempt(ok(api.DELETE("/api/v1/me/blocks/{user_id}", { params: { path } })).then(blocksChanged))}>
          {t.unblockUser(name)}
        </button>
      ) : (
        <Confirm
          label={t.blockUser(name)}
          text={t.blockConfirm(name)}
          danger
          onConfirm={() => attempt(ok(api.POST("/api/v1/me/blocks/{user_id}", { params: { path } })).then(blocksChanged))}
        />
      )}
      {error && <p role="alert">{error}</p>}
    </>
  );
}
