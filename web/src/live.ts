// Live events over the WebSocket, with the resume protocol of the SDK
// (sdk/colletta_sdk/realtime.py, docs/events.md): a cursor per chat, events applied once and
// in order by seq, gaps filled from /api/v1/sync, and reconnection with capped, jittered
// back-off after any drop (network, server restart, slow-consumer close).
import { api, ok, type Message, type Chat, type Member, type PotSummary } from "./api/http";

export type LiveEvent = {
  type: string;
  chat_id: string;
  seq?: number | null;
  at_ms?: number;
  message?: Message;
  message_id?: string;
  reactions?: Record<string, number>;
  user_id?: string | null;
  read_seq?: number;
  chat?: Chat;
  member?: Member | null;
  last_seq?: number;
  message_ttl_s?: number | null;
  pot_id?: string;
  pot?: PotSummary;
  // notice.created (chat_id "0", no seq): one new notice in the user's inbox
  id?: string;
  kind?: string;
  created_at_ms?: number;
  data?: Record<string, unknown>;
};

export type Status = "connecting" | "online" | "offline";

const CLOSE_UNAUTHENTICATED = 4401;
/** A connection silent this long is pinged; one silent twice as long is given up: a dropped
 * network does not always close the socket. */
const QUIET_MS = 25_000;
const CLOSE_BAD_FRAME = 4400;

export function backoffDelays(initialMs = 500, maxMs = 10_000): () => number {
  let ceiling = initialMs;
  return () => {
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    ceiling = Math.min(maxMs, ceiling * 2);
    return delay;
  };
}

export interface LiveHandlers {
  event(event: LiveEvent): void;
  status(status: Status): void;
  signedOut(): void;
}

export class Live {
  /** chat id → the highest seq applied. */
  readonly cursors = new Map<string, number>();
  private ws: WebSocket | null = null;
  private timer: number | undefined;
  private nextDelay = backoffDelays();
  private stopped = false;
  /** Events are applied one at a time, in arrival order, gap fills included. */
  private chain: Promise<void> = Promise.resolve();
  private lastFrameAt = 0;
  private readonly heartbeat = window.setInterval(() => this.checkAlive(), QUIET_MS / 5);

  constructor(private readonly handlers: LiveHandlers) {
    addEventListener("online", this.wake);
    addEventListener("offline", this.drop);
  }

  start(cursors: Map<string, number>): void {
    for (const [chat, seq] of cursors) if (!this.cursors.has(chat)) this.cursors.set(chat, seq);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    removeEventListener("online", this.wake);
    removeEventListener("offline", this.drop);
    this.ws?.close(1000);
    this.ws = null;
  }

  typing(chatId: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "typing", chat_id: chatId }));
    }
  }

  private checkAlive(): void {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    const quiet = Date.now() - this.lastFrameAt;
    if (quiet > 2 * QUIET_MS) ws.close();
    else if (quiet > QUIET_MS) ws.send(JSON.stringify({ type: "ping" }));
  }

  private readonly wake = (): void => {
    if (this.ws === null && !this.stopped) {
      clearTimeout(this.timer);
      this.connect();
    }
  };

  private readonly drop = (): void => {
    this.ws?.close();
  };

  private connect(): void {
    if (this.stopped) return;
    this.handlers.status(navigator.onLine ? "connecting" : "offline");
    const url = new URL("/api/v1/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    this.ws = ws;
    let authenticated = false;
    ws.onopen = () => {
      this.lastFrameAt = Date.now();
      // No token: the server takes the session cookie of this same-origin handshake.
      ws.send(JSON.stringify({ type: "auth", cursors: Object.fromEntries(this.cursors) }));
    };
    ws.onmessage = (message) => {
      this.lastFrameAt = Date.now();
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(message.data)) as Record<string, unknown>;
      } catch {
        ws.close();
        return;
      }
      if (frame.type === "ready") {
        authenticated = true;
        this.nextDelay = backoffDelays();
        const chats = (frame.chats ?? []) as { chat_id: string; last_seq: number }[];
        for (const { chat_id, last_seq } of chats) {
          if (!this.cursors.has(chat_id)) this.cursors.set(chat_id, last_seq);
        }
        this.handlers.status("online");
        return;
      }
      if (frame.type === "pong" || typeof frame.chat_id !== "string") return;
      const event = frame as unknown as LiveEvent;
      this.chain = this.chain.then(() => this.handle(event, ws)).catch(() => ws.close());
    };
    ws.onclose = (close) => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (close.code === CLOSE_UNAUTHENTICATED) {
        this.handlers.signedOut();
        return;
      }
      this.handlers.status("offline");
      const delay = close.code === CLOSE_BAD_FRAME || !authenticated ? this.nextDelay() : 200;
      if (authenticated) this.nextDelay = backoffDelays();
      this.timer = window.setTimeout(() => this.connect(), delay);
    };
  }

  private async handle(event: LiveEvent, ws: WebSocket): Promise<void> {
    if (this.ws !== ws) return; // a frame of a socket already given up
    const seq = event.seq;
    if (seq === undefined || seq === null) {
      this.accept(event);
      return;
    }
    const cursor = this.cursors.get(event.chat_id);
    if (cursor === undefined || seq === cursor + 1) {
      this.accept(event);
    } else if (seq > cursor + 1) {
      await this.fillGap(event.chat_id, cursor, seq);
      const now = this.cursors.get(event.chat_id);
      if (now !== undefined && seq === now + 1) this.accept(event);
      else if (now !== undefined && seq > now + 1) ws.close(); // the replay will have it
    }
    // else a duplicate: already applied
  }

  /** Events (cursor, until) of one chat from the log, the source of truth. */
  private async fillGap(chatId: string, cursor: number, until: number): Promise<void> {
    while (cursor < until - 1) {
      const result = await ok(
        api.GET("/api/v1/sync", { params: { query: { cursors: `${chatId}:${cursor}` } } }),
      );
      if (result.resync_required.some((r) => r.chat_id === chatId)) {
        const last = result.resync_required.find((r) => r.chat_id === chatId)?.last_seq ?? until;
        this.accept({ type: "resync_required", chat_id: chatId, last_seq: last });
        return;
      }
      let progressed = false;
      for (const raw of result.events) {
        const event = raw as unknown as LiveEvent;
        if (event.chat_id !== chatId || event.seq == null) continue;
        if (event.seq === (this.cursors.get(chatId) ?? cursor) + 1) {
          this.accept(event);
          progressed = true;
        }
      }
      cursor = this.cursors.get(chatId) ?? cursor;
      if (!progressed || !result.has_more) return;
    }
  }

  private accept(event: LiveEvent): void {
    if (event.seq != null) {
      this.cursors.set(event.chat_id, Math.max(this.cursors.get(event.chat_id) ?? 0, event.seq));
    } else if (event.type === "resync_required" && event.last_seq !== undefined) {
      this.cursors.set(event.chat_id, event.last_seq);
    } else if (event.type === "chat.removed") {
      this.cursors.delete(event.chat_id);
    } else if (event.type === "chat.added" && !this.cursors.has(event.chat_id) && event.chat) {
      this.cursors.set(event.chat_id, event.chat.last_seq ?? 0);
    }
    this.handlers.event(event);
  }
}
