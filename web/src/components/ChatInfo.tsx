import { useEffect, useState } from "preact/hooks";
import { api, ok, type ChatListItem, type Member, type Schemas } from "../api/http";
import { t } from "../i18n";
import { joinRequests, me, rememberName } from "../store";
import { findUser } from "./NewChat";
import { useAttempt } from "./problems";
import { Bans } from "./Bans";
import { BlockButton } from "./Block";
import { ChatSettings } from "./ChatSettings";
import { LeaveChat, TransferOwnership } from "./Membership";
import { isAdmin } from "./Pots";
import { ReportButton } from "./Report";

const ROLES = ["member", "moderator", "admin"] as const;
const RANK: Record<string, number> = { member: 0, moderator: 1, admin: 2, owner: 3 };

/** The chat's panel: its settings, members and roles, ownership, invite links and bans;
 * leaving; reporting the chat, its members, or in a direct chat the other person. */
export function ChatInfo({ chat }: { chat: ChatListItem }) {
  const [members, setMembers] = useState<Member[]>([]);
  const [invites, setInvites] = useState<Schemas["Invite"][]>([]);
  const [requests, setRequests] = useState<Schemas["JoinRequest"][]>([]);
  const [approval, setApproval] = useState(false);
  const [username, setUsername] = useState("");
  const [error, attempt] = useAttempt();
  const admin = isAdmin(chat);
  const myRank = RANK[chat.my_role ?? "member"] ?? 0;
  const path = { chat_id: chat.id };

  async function load() {
    const page = await ok(api.GET("/api/v1/chats/{chat_id}/members", { params: { path, query: { limit: 200 } } }));
    page.members.forEach((m) => rememberName(m.user_id, m.display_name));
    setMembers(page.members);
    if (!admin || chat.kind === "direct") return;
    setInvites((await ok(api.GET("/api/v1/chats/{chat_id}/invites", { params: { path } }))).invites);
    setRequests((await ok(api.GET("/api/v1/chats/{chat_id}/join-requests", { params: { path } }))).requests);
  }
  useEffect(() => {
    void load().catch(() => setMembers([]));
  }, [chat.id, chat.member_count, chat.my_role, joinRequests.value.get(chat.id)]);

  async function add(event: Event) {
    event.preventDefault();
    await attempt(
      (async () => {
        const user_id = await findUser(username);
        await ok(api.POST("/api/v1/chats/{chat_id}/members", { params: { path }, body: { user_id } }));
        setUsername("");
        await load();
      })(),
    );
  }

  const setRole = (m: Member, role: (typeof ROLES)[number]) =>
    attempt(ok(api.PATCH("/api/v1/chats/{chat_id}/members/{user_id}", { params: { path: { ...path, user_id: m.user_id } }, body: { role } })).then(load));
  const remove = (m: Member) =>
    attempt(ok(api.DELETE("/api/v1/chats/{chat_id}/members/{user_id}", { params: { path: { ...path, user_id: m.user_id } } })).then(load));
  const inviteUrl = (code: string) => `${location.origin}/invite/${code}`;

  return (
    <section class="chat-info" aria-label={chat.title}>
      {chat.description && <p>{chat.description}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      <ChatSettings chat={chat} />
      {chat.kind === "direct" &&
        members
          .filter((m) => m.user_id !== me.value?.id)
          .map((m) => (
            <div class="inline" key={m.user_id}>
              <ReportButton target={{ subject: "user", subjectId: m.user_id, name: m.display_name }} label={t.reportUser(m.display_name)} />
              <BlockButton userId={m.user_id} name={m.display_name} />
            </div>
          ))}
      {chat.kind !== "direct" && members.length > 0 && (
        <ul class="members" aria-label={t.membersList}>
          {members.map((m) => {
            const manageable = admin && m.user_id !== me.value?.id && (RANK[m.role] ?? 0) < myRank;
            return (
              <li key={m.user_id}>
                <span>
                  {m.display_name} <small>@{m.username}</small>
                </span>
                {manageable ? (
                  <>
                    <select aria-label={t.roleOf(m.display_name)} value={m.role} onChange={(e) => void setRole(m, e.currentTarget.value as (typeof ROLES)[number])}>
                      {ROLES.filter((r) => RANK[r]! < myRank || chat.my_role === "owner").map((r) => (
                        <option key={r} value={r}>
                          {t.roles[r]}
                        </option>
                      ))}
                    </select>
                    <button type="button" class="danger" onClick={() => void remove(m)}>
                      {t.remove}
                    </button>
                  </>
                ) : (
                  <small>{t.roles[m.role] ?? m.role}</small>
                )}
                {m.user_id !== me.value?.id && (
                  <>
                    <ReportButton target={{ subject: "user", subjectId: m.user_id, name: m.display_name }} label={t.reportUser(m.display_name)} />
                    <BlockButton userId={m.user_id} name={m.display_name} />
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {admin && chat.kind !== "direct" && (
        <form class="inline" onSubmit={add}>
          <label for="add-member">{t.addMember}</label>
          <input id="add-member" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
          <button type="submit">{t.add}</button>
        </form>
      )}
      {chat.kind !== "direct" && <TransferOwnership chat={chat} members={members} onDone={load} />}
      {admin && chat.kind !== "direct" && (
        <div class="invites">
          <h2>{t.inviteLinks}</h2>
          <ul>
            {invites.map((invite) => (
              <li key={invite.code}>
                <input readOnly value={inviteUrl(invite.code)} aria-label={t.inviteLink} onFocus={(e) => e.currentTarget.select()} />
                <button
                  type="button"
                  onClick={() => void attempt(ok(api.DELETE("/api/v1/chats/{chat_id}/invites/{code}", { params: { path: { ...path, code: invite.code } } })).then(load))}
                >
                  {t.revokeLink}
                </button>
              </li>
            ))}
          </ul>
          <div class="inline">
            <label class="check">
              <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.currentTarget.checked)} /> {t.requiresApproval}
            </label>
            <button type="button" onClick={() => void attempt(ok(api.POST("/api/v1/chats/{chat_id}/invites", { params: { path }, body: { requires_approval: approval } })).then(load))}>
              {t.createInvite}
            </button>
          </div>
          {requests.length > 0 && (
            <>
              <h2>{t.joinRequests}</h2>
              <ul>
                {requests.map((r) => (
                  <li key={r.user_id}>
                    <span class="grow">@{r.username}</span>
                    {(["approve", "decline"] as const).map((verdict) => (
                      <button
                        type="button"
                        key={verdict}
                        onClick={() =>
                          void attempt(
                            ok(api.POST(`/api/v1/chats/{chat_id}/join-requests/{user_id}/${verdict}`, { params: { path: { ...path, user_id: r.user_id } } })).then(load),
                          )
                        }
                      >
                        {verdict === "approve" ? t.approve : t.decline}
                      </button>
                    ))}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {admin && chat.kind !== "direct" && <Bans chat={chat} />}
      {chat.kind !== "direct" && (
        <div class="inline leave">
          {chat.my_role !== "owner" && <ReportButton target={{ subject: "chat", subjectId: chat.id, name: chat.title }} label={t.reportChat} />}
          <LeaveChat chat={chat} />
        </div>
      )}
    </section>
  );
}
