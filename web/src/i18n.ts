// Every string the client shows, in English and Italian, picked from the browser's language.
const en = {
  appName: "Colletta",
  signIn: "Sign in",
  signUp: "Create account",
  signOut: "Sign out",
  username: "Username",
  password: "Password",
  displayName: "Display name",
  noAccount: "No account yet?",
  haveAccount: "Already have an account?",
  usernameHint: "3–32 letters, digits or _",
  passwordHint: "At least 10 characters",
  badLogin: "Wrong username or password.",
  chats: "Chats",
  searchChats: "Search chats",
  noChats: "No chats yet. Create a group to start.",
  noMatches: "No chat matches.",
  newGroup: "New group",
  newChannel: "New channel",
  create: "Create",
  cancel: "Cancel",
  title: "Title",
  description: "Description",
  publicChannel: "Public (anyone can find and subscribe)",
  unread: (n: number) => (n === 1 ? "1 unread message" : `${n} unread messages`),
  noMessages: "No messages yet.",
  message: "Message",
  messages: "Messages",
  send: "Send",
  reply: "Reply",
  edit: "Edit",
  delete: "Delete",
  react: "React",
  pin: "Pin",
  unpin: "Unpin",
  forward: "Forward",
  forwardTo: "Forward to…",
  forwarded: "Forwarded",
  replyingTo: "Replying to",
  editing: "Editing message",
  deleted: "Message deleted",
  edited: "edited",
  confirmDelete: "Delete this message for everyone?",
  actionsFor: "Actions for message",
  typing: (names: string) => `${names} typing…`,
  someone: "Someone",
  you: "You",
  back: "Back to chats",
  loadingOlder: "Loading older messages…",
  startOfChat: "Start of the conversation",
  offline: "Offline — reconnecting…",
  connecting: "Connecting…",
  settings: "Settings",
  profile: "Profile",
  bio: "About",
  save: "Save",
  saved: "Saved.",
  changePassword: "Change password",
  oldPassword: "Current password",
  newPassword: "New password",
  sessions: "Sessions",
  thisDevice: "this device",
  revoke: "Sign out",
  lastSeen: "last active",
  members: (n: number) => (n === 1 ? "1 member" : `${n} members`),
  subscribers: (n: number) => (n === 1 ? "1 subscriber" : `${n} subscribers`),
  addMember: "Add member by username",
  add: "Add",
  error: "Something went wrong. Try again.",
  rateLimited: "Slow down a little, then try again.",
  pinned: "Pinned",
  chatKinds: { direct: "Direct chat", group: "Group", channel: "Channel" } as Record<string, string>,
  closeMenu: "Close",
  main: "Conversation",
  disappearsIn: (d: string) => `Disappears in ${d}`,
  selfDestruct: "Self-destruct timer",
  timerOff: "No timer",
  autoDelete: "Auto-delete messages",
};

export type Strings = typeof en;

const it: Strings = {
  appName: "Colletta",
  signIn: "Accedi",
  signUp: "Crea un account",
  signOut: "Esci",
  username: "Nome utente",
  password: "Password",
  displayName: "Nome visualizzato",
  noAccount: "Non hai un account?",
  haveAccount: "Hai già un account?",
  usernameHint: "3–32 lettere, cifre o _",
  passwordHint: "Almeno 10 caratteri",
  badLogin: "Nome utente o password errati.",
  chats: "Chat",
  searchChats: "Cerca chat",
  noChats: "Ancora nessuna chat. Crea un gruppo per iniziare.",
  noMatches: "Nessuna chat corrisponde.",
  newGroup: "Nuovo gruppo",
  newChannel: "Nuovo canale",
  create: "Crea",
  cancel: "Annulla",
  title: "Titolo",
  description: "Descrizione",
  publicChannel: "Pubblico (chiunque può trovarlo e iscriversi)",
  unread: (n: number) => (n === 1 ? "1 messaggio non letto" : `${n} messaggi non letti`),
  noMessages: "Ancora nessun messaggio.",
  message: "Messaggio",
  messages: "Messaggi",
  send: "Invia",
  reply: "Rispondi",
  edit: "Modifica",
  delete: "Elimina",
  react: "Reagisci",
  pin: "Fissa",
  unpin: "Sblocca",
  forward: "Inoltra",
  forwardTo: "Inoltra a…",
  forwarded: "Inoltrato",
  replyingTo: "In risposta a",
  editing: "Modifica del messaggio",
  deleted: "Messaggio eliminato",
  edited: "modificato",
  confirmDelete: "Eliminare questo messaggio per tutti?",
  actionsFor: "Azioni per il messaggio",
  typing: (names: string) => `${names} sta scrivendo…`,
  someone: "Qualcuno",
  you: "Tu",
  back: "Torna alle chat",
  loadingOlder: "Caricamento dei messaggi precedenti…",
  startOfChat: "Inizio della conversazione",
  offline: "Offline — riconnessione…",
  connecting: "Connessione…",
  settings: "Impostazioni",
  profile: "Profilo",
  bio: "Info",
  save: "Salva",
  saved: "Salvato.",
  changePassword: "Cambia password",
  oldPassword: "Password attuale",
  newPassword: "Nuova password",
  sessions: "Sessioni",
  thisDevice: "questo dispositivo",
  revoke: "Disconnetti",
  lastSeen: "ultima attività",
  members: (n: number) => (n === 1 ? "1 membro" : `${n} membri`),
  subscribers: (n: number) => (n === 1 ? "1 iscritto" : `${n} iscritti`),
  addMember: "Aggiungi membro per nome utente",
  add: "Aggiungi",
  error: "Qualcosa è andato storto. Riprova.",
  rateLimited: "Rallenta un po', poi riprova.",
  pinned: "Fissato",
  chatKinds: { direct: "Chat diretta", group: "Gruppo", channel: "Canale" },
  closeMenu: "Chiudi",
  main: "Conversazione",
  disappearsIn: (d: string) => `Scompare tra ${d}`,
  selfDestruct: "Timer di autodistruzione",
  timerOff: "Nessun timer",
  autoDelete: "Eliminazione automatica dei messaggi",
};

const CATALOGUES: Record<string, Strings> = { en, it };

export function pickLanguage(languages: readonly string[]): string {
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0] ?? "";
    if (base in CATALOGUES) return base;
  }
  return "en";
}

export const lang = pickLanguage(navigator.languages ?? [navigator.language]);
export const t: Strings = CATALOGUES[lang] ?? en;

const time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const day = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });

export function shortTime(ms: number): string {
  const date = new Date(ms);
  return date.toDateString() === new Date().toDateString() ? time.format(date) : day.format(date);
}

/** "4 s", "3 min", "2 h", "1 d": how long until a timed message disappears. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.ceil(s / 60)} min`;
  if (s < 86_400) return `${Math.ceil(s / 3600)} h`;
  return `${Math.ceil(s / 86_400)} d`;
}
