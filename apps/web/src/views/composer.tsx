import { TEXT_MAX_LENGTH } from '@app/protocol-constants';
import { useEffect, useRef, useState } from 'preact/hooks';
import { readPageConfig, sizeText } from '../page-config';
import type { UploadedImage, UploadProgress } from '../protocol/http-api';
import { imageFileOf, useImageDrop } from './image-drop';

interface Props {
  friendName: string;
  onSend: (text: string) => void;
  /** The user typed (the friend sees an indicator). */
  onTyping?: () => void;
  onUpload: (file: File, progress: UploadProgress) => Promise<UploadedImage>;
}

// The server counts characters as code points (an emoji is one) and takes at most its default limit.
const MAX_LENGTH = TEXT_MAX_LENGTH;
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp';
// The server's limit, as the page that it served says (UPLOAD_MAX_FILE_SIZE).
const MAX_UPLOAD_BYTES = readPageConfig(globalThis.document, import.meta.env.DEV).maxUploadBytes;

/**
 * Text and images. An image (picked, pasted or dropped) is checked against the server's limit,
 * uploaded with a progress bar and previewed from where the server keeps it (nothing but this
 * origin's own URLs on the page); "Send image" then sends its link.
 */
export function Composer({ friendName, onSend, onTyping, onUpload }: Props) {
  const [text, setText] = useState('');
  const [image, setImage] = useState<UploadedImage | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const upload = useRef<AbortController | null>(null);
  const uploading = progress !== null;
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

  const take = async (file: File) => {
    if (upload.current) return setError('One image at a time: wait for this upload, or cancel it.');
    setError(null);
    if (file.type && !file.type.startsWith('image/')) return setError('Only images can be sent: PNG, JPEG, GIF or WebP.');
    // Checked here, so a file the server would refuse is never sent.
    if (file.size > MAX_UPLOAD_BYTES) {
      return setError(`图片太大，最大 ${sizeText(MAX_UPLOAD_BYTES)} (file too large: ${file.size} bytes, the limit is ${MAX_UPLOAD_BYTES}; nothing was sent)`);
    }
    const abort = new AbortController();
    upload.current = abort;
    setProgress({ sent: 0, total: file.size });
    try {
      setImage(await onUpload(file, { onProgress: (sent, total) => setProgress({ sent, total }), signal: abort.signal }));
    } catch (err) {
      if (!abort.signal.aborted) setError(`Upload failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      upload.current = null;
      setProgress(null);
    }
  };

  const pick = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void take(file);
  };

  // An image dropped anywhere on the conversation, or pasted into the text field.
  const dropping = useImageDrop(field, (file) => void take(file));
  const paste = (e: ClipboardEvent) => {
    const file = imageFileOf(e.clipboardData);
    if (!file) return;
    e.preventDefault();
    void take(file);
  };

  const sendImage = () => {
    if (!image) return;
    onSend(image.url);
    setImage(null);
    field.current?.focus();
  };

  return (
    <div class="composer">
      {dropping && (
        <p class="drop-hint" aria-hidden="true">
          Drop the image to upload it
        </p>
      )}
      {(uploading || image || error) && (
        <div class="upload-preview" role="status" aria-live="polite">
          {progress && (
            <div class="upload-progress">
              <label for="upload-progress">Uploading image… {progress.total ? Math.floor((100 * progress.sent) / progress.total) : 0}%</label>
              <progress id="upload-progress" max={progress.total || 1} value={progress.sent} />
              <button type="button" class="secondary" onClick={() => upload.current?.abort()}>
                Cancel upload
              </button>
            </div>
          )}
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
          onPaste={paste}
        />
        <span id="compose-hint" class="visually-hidden">
          Enter sends, Shift+Enter starts a new line. Paste or drop an image to send it.
        </span>
        <label class="attach button secondary">
          <input type="file" accept={ACCEPT} class="visually-hidden" onChange={pick} aria-label="Attach an image" />
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
