import { useEffect, useRef, useState } from 'preact/hooks';
import type { UserSummary } from '../protocol/http-api';

interface Props {
  me: number;
  devUsers: UserSummary[] | null;
  onRefreshUsers: () => Promise<UserSummary[] | null>;
  onPick: (friendId: number, name?: string) => void;
}

/** Someone new to chat with: a user id, or (development mode) one of the users. */
export function FriendPicker({ me, devUsers, onRefreshUsers, onPick }: Props) {
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    void onRefreshUsers();
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    const raw = String(new FormData(e.currentTarget as HTMLFormElement).get('friend') ?? '').trim();
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || id <= 0) return setError('A user id is a positive whole number.');
    if (id === me) return setError('That is you: pick someone else.');
    setError(null);
    const known = devUsers?.find((u) => u.id === id);
    if (known || !devUsers) return onPick(id, known?.name);
    // Someone who signed up after this page loaded: ask for the list again for the name.
    void onRefreshUsers().then((users) => onPick(id, users?.find((u) => u.id === id)?.name));
  };

  const others = devUsers?.filter((u) => u.id !== me) ?? [];
  return (
    <section class="picker" aria-labelledby="picker-heading">
      <h2 id="picker-heading">Start a conversation</h2>
      <form class="row" onSubmit={submit}>
        <label for="friend-id">Friend's user id</label>
        <input id="friend-id" ref={input} name="friend" inputMode="numeric" autoComplete="off" required aria-describedby={error ? 'friend-error' : undefined} />
        <button type="submit">Open</button>
      </form>
      {error && (
        <p id="friend-error" class="error" role="alert">
          {error}
        </p>
      )}
      {devUsers && (
        <section aria-labelledby="people-heading">
          <h3 id="people-heading">People on this server</h3>
          {others.length ? (
            <ul class="user-list">
              {others.map((u) => (
                <li key={u.id}>
                  <button type="button" onClick={() => onPick(u.id, u.name)}>
                    {u.name} <span class="muted">#{u.id}</span>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p>Nobody else yet: open a second tab and create another user there.</p>
          )}
        </section>
      )}
    </section>
  );
}
