import type { Attention } from '../alerts/attention';
import { useStore } from './use-store';

const LABEL = {
  off: 'Turn on notifications and sound for new messages',
  on: 'Notifications and sound are on: turn them off',
  'sound-only': 'Sound is on, notifications are blocked by the browser: turn the sound off',
} as const;

/** Alerts for a tab in the background: asked for only when the user presses this. */
export function AlertsButton({ attention }: { attention: Attention }) {
  const { status } = useStore(attention.state);
  return (
    <button
      type="button"
      class="link-button alerts-button"
      data-alerts={status}
      aria-pressed={status !== 'off'}
      title={LABEL[status]}
      onClick={() => (status === 'off' ? void attention.enable() : attention.disable())}
    >
      <span aria-hidden="true">{status === 'off' ? '🔕' : '🔔'}</span>
      {status === 'off' ? ' Alerts off' : status === 'on' ? ' Alerts on' : ' Sound only'}
    </button>
  );
}
