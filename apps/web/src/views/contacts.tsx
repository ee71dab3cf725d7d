import { useEffect, useState } from 'preact/hooks';
import type { AccountsApi, UserCard } from '../protocol/accounts-api';

interface Props {
  accounts: AccountsApi;
  token: string;
  me: number;
  onPick: (friendId: number, name: string) => void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function Avatar({ user }: { user: UserCard }) {
  return <span class="avatar" aria-hidden="true">{user.img ? <img src={user.img} alt="" /> : [...user.name][0]}</span>;
}

/**
 * The people this user follows (the legacy concern paths), with unfollow; a search by an exact
 * phone number or the start of a name (search.do) to follow someone or start a chat.
 */
export function Contacts({ accounts, token, me, onPick }: Props) {
  const [following, setFollowing] = useState<UserCard[] | null>(null);
  const [found, setFound] = useState<UserCard[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = () =>
    accounts.following(token).then(
      (list) => setFollowing(list),
      (err: unknown) => setError(message(err)),
    );
  useEffect(() => void reload(), [token]);

  const act = (p: Promise<unknown>) => {
    setError(null);
    p.then(reload, (err: unknown) => setError(message(err)));
  };

  const search = (e: Event) => {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget as HTMLFormElement).get('q') ?? '').trim();
    setError(null);
    accounts.search(token, q).then(
      (users) => setFound(users.filter((u) => u.id !== me)),
      (err: unknown) => (setFound(null), setError(message(err))),
    );
  };

  const follows = (id: number) => following?.some((u) => u.id === id) ?? false;
  const row = (u: UserCard) => (
    <li key={u.id} class="contact" data-user-id={u.id}>
      <button type="button" class="contact-name" onClick={() => onPick(u.id, u.name)} aria-label={`Chat with ${u.name}`}>
        <Avatar user={u} /> <span dir="auto">{u.name}</span> <span class="muted">#{u.id}</span>
      </button>
      {follows(u.id) ? (
        <button type="button" class="secondary" onClick={() => act(accounts.unfollow(token, u.id))} aria-label={`Unfollow ${u.name}`}>
          Unfollow
        </button>
      ) : (
        <button type="button" class="secondary" onClick={() => act(accounts.follow(token, u.id))} aria-label={`Follow ${u.name}`}>
          Follow
        </button>
      )}
    </li>
  );

  return (
    <section class="contacts" aria-labelledby="contacts-heading">
      <h2 id="contacts-heading">Contacts</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {following === null ? (
        <p class="muted">Loading contacts…</p>
      ) : following.length ? (
        <ul class="user-list" aria-label="People you follow">
          {following.map(row)}
        </ul>
      ) : (
        <p class="muted">You follow nobody yet: search for someone below.</p>
      )}
      <form class="row" role="search" onSubmit={search}>
        <label for="people-search">Search by phone or name</label>
        <input id="people-search" name="q" type="search" autoComplete="off" required />
        <button type="submit">Search</button>
      </form>
      {found &&
        (found.length ? (
          <ul class="user-list" aria-label="Search results">
            {found.map(row)}
          </ul>
        ) : (
          <p class="muted">Nobody found.</p>
        ))}
    </section>
  );
}
