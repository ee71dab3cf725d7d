import { useEffect, useState } from 'preact/hooks';
import type { ConnectionState } from '../protocol/connection';

/** Shown whenever the socket is not open: messages typed meanwhile wait and go once it is back. */
export function ConnectionBanner({ state, onRetry }: { state: ConnectionState; onRetry: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.status !== 'waiting') return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [state]);

  if (state.status === 'open' || state.status === 'stopped') {
    return <div class="banner-slot" role="status" aria-live="polite" data-connection={state.status} />;
  }
  let text: string;
  if (state.status === 'connecting') text = state.attempt > 1 ? 'Offline: reconnecting…' : 'Connecting…';
  else if (state.status === 'waiting') text = `Offline: retrying in ${Math.max(1, Math.ceil((state.retryAt - now) / 1000))} s.`;
  else text = 'The server refused the connection.';
  return (
    <div class="banner-slot" role="status" aria-live="polite" data-connection={state.status}>
      <p class="offline-banner">
        {text} Messages you send now go out when the connection is back.
        {state.status === 'waiting' && (
          <button type="button" class="link-button" onClick={onRetry}>
            Retry now
          </button>
        )}
      </p>
    </div>
  );
}
