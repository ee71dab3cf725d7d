import { useEffect, useRef } from 'preact/hooks';
import { createPortal } from 'preact/compat';

interface Props {
  src: string;
  alt: string;
  onClose: () => void;
}

/**
 * A picture of the timeline over the whole page: a modal dialog (focus stays inside, the page
 * behind is inert), closed by Escape, a click anywhere or its Close button. Rendered at the end
 * of the body, outside the message log, so opening it is not announced as a message.
 */
export function ImageViewer({ src, alt, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return createPortal(
    <dialog
      ref={dialog}
      class="image-viewer"
      aria-label={alt}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        onClose();
      }}
      onClick={onClose}
    >
      <img src={src} alt={alt} />
      <div class="viewer-bar">
        <a href={src} target="_blank" rel="noopener noreferrer" onClick={(e) => e.stopPropagation()}>
          Open the original
        </a>
        <button type="button" autoFocus onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>,
    document.body,
  );
}
