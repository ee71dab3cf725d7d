import { useState } from 'preact/hooks';
import type { AccountsApi, SignedInUser } from '../protocol/accounts-api';
import type { HttpApi } from '../protocol/http-api';

interface Props {
  accounts: AccountsApi;
  api: HttpApi;
  token: string;
  user: SignedInUser | null;
  onSaved: (user: SignedInUser) => void;
  onClose: () => void;
}

/** Name, signature and avatar: the avatar is uploaded (upload.do), then named by its uri. */
export function Profile({ accounts, api, token, user, onSaved, onClose }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const file = data.get('profile-avatar');
    setBusy(true);
    setError(null);
    setSaved(false);
    void (async () => {
      const img = file instanceof File && file.size > 0 ? (await api.upload(token, file, file.name || 'avatar')).uri : undefined;
      await accounts.updateMe(token, { name: String(data.get('profile-name') ?? ''), msg: String(data.get('profile-msg') ?? ''), ...(img ? { img } : {}) });
      onSaved(await accounts.me(token));
      setSaved(true);
    })()
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(false));
  };

  return (
    <section class="profile" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your profile</h2>
      {user?.img && <img class="profile-avatar" src={user.img} alt="Your avatar" width={96} height={96} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {saved && <p role="status">Profile saved.</p>}
      <form class="stack" onSubmit={submit} key={user?.id ?? 0}>
        <label for="profile-name">Name</label>
        <input id="profile-name" name="profile-name" defaultValue={user?.name ?? ''} required />
        <label for="profile-msg">Signature</label>
        <input id="profile-msg" name="profile-msg" defaultValue={user?.msg ?? ''} />
        <label for="profile-avatar">Avatar (an image)</label>
        <input id="profile-avatar" name="profile-avatar" type="file" accept="image/*" />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </form>
      <button type="button" class="link-button" onClick={onClose}>
        Back to the conversations
      </button>
    </section>
  );
}
