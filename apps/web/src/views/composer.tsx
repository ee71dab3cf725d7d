import { useEffect, useRef, useState } from 'preact/hooks';
import type { UploadedImage } from '../protocol/http-api';

interface Props {
  friendName: string;
  onSend: (text: string) => void;
  /** The user typed (the friend sees an indicator). */
  onTyping?: () => void;
  onUpload: (file: File) => Promise<UploadedImage>;
}

// The server counts characters as code points (an emoji is one) and takes at most 500.
const MAX_LENGTH = 500;
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp';

/**
 * Text and images. An image is uploaded first and previewed from where the server keeps it
 * (nothing but this origin's own URLs on the page); "Send image" then sends its link.
 */
export function Composer({ friendName, onSend, onTyping, onUpload }: Props) {
  const [text, setText] = useState('');
  const [image, setImage] = useState<UploadedImage | null>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  // Opening a conversation puts the cursor here, where there is a keyboard (not on a touch screen).
  useEffect(() => {
    if (globalThis.matchMedia?.('(pointer: fine)').matches) field.current?.focus();
  }, []);
  const length = [...text].length;
  const tooLong = length > MAX_LENGTH;

  const send = (e?: Event) => {
    e?.preventDefault();
    if (!text.trim() || tooLong) return;
    onSend(text);
    setText('');
    field.current?.focus();
  };

  const pick = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setError(null);
    setUploading(true);
    try {
      setImage(await onUpload(file));
    } catch (err) {
      setError(`Upload failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setUploading(false);
    }
  };

  const sendImage = () => {
    if (!image) return;
    onSend(image.url);
    setImage(null);
    field.current?.focus();
  };

  return (
    <div class="composer">
      {(uploading || image || error) && (
        <div class="upload-preview" role="status" aria-live="polite">
          {uploading && <p>Uploading image…</p>}
          {error && <p class="error">{error}</p>}
          {image && (
            <>
              <img src={image.url} alt="Preview of the image to send" />
              <div class="row">
                <button type="button" onClick={sendImage}>
                  Send image
                </button>
                <button type="button" class="secondary" onClick={() => setImage(null)}>
                  Cancel
                </button>
              </div>
            </>
          )}
        </div>
      )}
      <form class="compose-row" onSubmit={send}>
        <label class="visually-hidden" for="message-text">
          Message to {friendName}
        </label>
        <textarea
          id="message-text"
          ref={field}
          rows={1}
          value={text}
          placeholder={`Message ${friendName}`}
          aria-describedby="compose-hint"
          aria-invalid={tooLong}
          onInput={(e) => {
            const value = (e.currentTarget as HTMLTextAreaElement).value;
            setText(value);
            if (value.trim()) onTyping?.();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e);
          }}
        />
        <span id="compose-hint" class="visually-hidden">
          Enter sends, Shift+Enter starts a new line.
        </span>
        <label class="attach button secondary">
          <input type="file" accept={ACCEPT} class="visually-hidden" onChange={(e) => void pick(e)} aria-label="Attach an image" />
          <span aria-hidden="true">🖼</span>
        </label>
        <button type="submit" disabled={!text.trim() || tooLong}>
          Send
        </button>
      </form>
      {length > MAX_LENGTH - 50 && (
        <p class={tooLong ? 'error counter' : 'muted counter'} aria-live="polite">
          {length}/{MAX_LENGTH}
        </p>
      )}
    </div>
  );
}
