import { useEffect, useMemo, useState } from 'preact/hooks';
import { ChatClient } from '../chat/chat-client';
import { clearSession, loadSession, saveSession, Session } from '../chat/session';
import { readPageConfig } from '../page-config';
import { HttpApi, UserSummary } from '../protocol/http-api';
import { ChatShell } from './chat-shell';
import { SignIn } from './sign-in';

// Said by the server in the page: outside development mode /dev/users is never asked.
const page = readPageConfig(globalThis.document, import.meta.env.DEV);

// No token in the URL: the client offers it as the subprotocol `chat.token.<jwt>` (ChatClient).
const socketUrl = (userId: number): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat/${userId}`;

/** Signed out: the sign-in page. Signed in: one ChatClient for this tab's user. */
export function App() {
  const api = useMemo(() => new HttpApi(), []);
  const [session, setSession] = useState<Session | null>(() => loadSession(sessionStorage));
  const [signedOutBecause, setSignedOutBecause] = useState<string | null>(null);
  // undefined: not asked yet; null: not a development server.
  const [devUsers, setDevUsers] = useState<UserSummary[] | null | undefined>(page.devMode ? undefined : null);

  const refreshDevUsers = (): Promise<UserSummary[] | null> =>
    !page.devMode ? Promise.resolve(null) : api.devUsers().then(
      (users) => {
        setDevUsers(users);
        return users;
      },
      () => {
        setDevUsers(null);
        return null;
      },
    );
  useEffect(() => void refreshDevUsers(), []);

  const client = useMemo(
    () => (session ? new ChatClient({ api, session, storage: sessionStorage, socketUrl }) : null),
    [session],
  );
  useEffect(() => {
    if (!client) return;
    client.start();
    return () => client.stop();
  }, [client]);

  const signIn = (s: Session) => {
    saveSession(sessionStorage, s);
    setSignedOutBecause(null);
    setSession(s);
  };
  const signOut = (because?: string) => {
    clearSession(sessionStorage);
    setSignedOutBecause(because ?? null);
    setSession(null);
  };

  if (!session || !client) {
    return <SignIn api={api} devUsers={devUsers} onRefreshUsers={refreshDevUsers} onSignIn={signIn} notice={signedOutBecause} />;
  }
  return <ChatShell api={api} client={client} session={session} devUsers={devUsers ?? null} onRefreshUsers={refreshDevUsers} onSignOut={signOut} />;
}
