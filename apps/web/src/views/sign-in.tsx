import { useEffect, useRef, useState } from 'preact/hooks';
import { sessionFromToken, Session } from '../chat/session';
import { HttpApi, UserSummary } from '../protocol/http-api';
import { PasswordSignIn } from './password-sign-in';

interface Props {
  api: HttpApi;
  /** undefined while asking; null when the server has no development endpoints. */
  devUsers: UserSummary[] | null | undefined;
  onRefreshUsers: () => Promise<UserSummary[] | null>;
  onSignIn: (session: Session) => void;
  notice: string | null;
}

/**
 * Development server: pick a user or create one (the server mints the token). Any server:
 * paste a token from the login service or `npm run cli -- token <id>`.
 */
export function SignIn({ api, devUsers, onRefreshUsers, onSignIn, notice }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const signInAs = (user: UserSummary) =>
    run(async () => onSignIn({ token: await api.devToken(user.id), userId: user.id, name: user.name }));

  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const phone = String(data.get('phone') ?? '').trim();
    const name = String(data.get('name') ?? '').trim();
    void run(async () => {
      const user = await api.devCreateUser(phone, name || undefined);
      form.reset();
      await onRefreshUsers();
      onSignIn({ token: await api.devToken(user.id), userId: user.id, name: user.name });
    });
  };

  const paste = (e: Event) => {
    e.preventDefault();
    const token = String(new FormData(e.currentTarget as HTMLFormElement).get('token') ?? '');
    const session = sessionFromToken(token);
    if (!session) return setError('That is not a token: paste the whole JWT (three parts separated by dots).');
    void run(async () => {
      if (!(await api.tokenAccepted(session.token))) throw new Error('The server refused this token (用户未登录): it is expired or from another server.');
      onSignIn(session);
    });
  };

  return (
    <main class="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Sign in
      </h1>
      {notice && (
        <p class="notice" role="alert">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <PasswordSignIn onSignIn={onSignIn} />
      {devUsers && (
        <section aria-labelledby="dev-users-heading">
          <h2 id="dev-users-heading">Development mode: choose a user</h2>
          {devUsers.length ? (
            <ul class="user-list">
              {devUsers.map((u) => (
                <li key={u.id}>
                  <button type="button" disabled={busy} onClick={() => void signInAs(u)}>
                    {u.name} <span class="muted">#{u.id}</span>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p>No users yet: create the first one.</p>
          )}
          <form class="stack" onSubmit={create}>
            <h3>New user</h3>
            <label for="new-phone">Phone number</label>
            <input id="new-phone" name="phone" inputMode="tel" autoComplete="off" required pattern="\+?[0-9]{5,20}" placeholder="13800000000" />
            <label for="new-name">Name (optional)</label>
            <input id="new-name" name="name" maxLength={50} placeholder="手机用户 + phone when empty" />
            <button type="submit" disabled={busy}>
              Create and sign in
            </button>
          </form>
        </section>
      )}
      <section aria-labelledby="token-heading">
        <h2 id="token-heading">Or paste a token</h2>
        <form class="stack" onSubmit={paste}>
          <label for="token">Token (JWT)</label>
          <textarea id="token" name="token" rows={3} required spellcheck={false} autoComplete="off" />
          <button type="submit" disabled={busy}>
            Sign in with token
          </button>
        </form>
        {devUsers === null && (
          <p class="muted">
            An operator mints one with <code>npm run cli -- token &lt;userId&gt;</code>.
          </p>
        )}
      </section>
    </main>
  );
}
