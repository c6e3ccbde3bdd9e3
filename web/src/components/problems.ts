import { useState } from "preact/hooks";
import { ApiError } from "../api/http";
import { t } from "../i18n";

/** What to tell the user about a failed call: our words for the refusals we know, else the
 * server's `detail` (a refused pot's reason comes this way). */
export function problemText(caught: unknown): string {
  if (!(caught instanceof ApiError) || caught.status === 0) return t.error;
  if (caught.status === 429) return t.rateLimited;
  if (caught.slug === "pot_refused") return t.refusedByScreening(caught.message);
  return t.problems[caught.slug] ?? caught.message;
}

/** An error message, and `attempt`, which clears it, runs a call and shows its failure. */
export function useAttempt(): [string, <T>(call: Promise<T>) => Promise<T | undefined>, (message: string) => void] {
  const [error, setError] = useState("");
  async function attempt<T>(call: Promise<T>): Promise<T | undefined> {
    setError("");
    try {
      return await call;
    } catch (caught) {
      setError(problemText(caught));
      return undefined;
    }
  }
  return [error, attempt, setError];
}
