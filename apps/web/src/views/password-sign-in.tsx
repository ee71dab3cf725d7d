import { useMemo, useState } from 'preact/hooks';
import type { Session } from '../chat/session';
import { AccountsApi, SignInAnswer } from '../protocol/accounts-api';

interface Props {
  onSignIn: (session: Session) => void;
}

/**
 * Sign in with phone and password (the legacy login.do), or register where the server allows it
 * (register.do; its answer says when it does not). Every server shows this form.
 */
export function PasswordSignIn({ onSignIn }: Props) {
  const api = useMemo(() => new AccountsApi(), []);
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const phone = String(data.get('account-phone') ?? '').trim();
    // Passwords are sent exactly as typed.
    const password = String(data.get('account-password') ?? '');
    const code = String(data.get('account-code') ?? '').trim();
    setBusy(true);
    setError(null);
    const done = (answer: SignInAnswer) => onSignIn({ token: answer.token, userId: answer.user.id, name: answer.user.name });
    (mode === 'login' ? api.login(phone, password) : api.register(phone, password, code || undefined)).then(done, (err: unknown) => {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    });
  };

  return (
    <section aria-labelledby="account-heading">
      <h2 id="account-heading">{mode === 'login' ? 'Sign in with your phone' : 'Create an account'}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form class="stack" onSubmit={submit}>
        <label for="account-phone">Mobile</label>
        <input id="account-phone" name="account-phone" inputMode="tel" autoComplete="username" required pattern="\+?[0-9]{5,20}" />
        <label for="account-password">Password</label>
        <input id="account-password" name="account-password" type="password" autoComplete={mode === 'login' ? 'current-password' : 'new-password'} required />
        {mode === 'register' && (
          <>
            <label for="account-code">SMS code (if the server asks for one)</label>
            <input id="account-code" name="account-code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" />
          </>
        )}
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Register'}
        </button>
      </form>
      <button type="button" class="link" onClick={() => (setMode(mode === 'login' ? 'register' : 'login'), setError(null))}>
        {mode === 'login' ? 'New here? Create an account' : 'Have an account? Sign in'}
      </button>
    </section>
  );
}
