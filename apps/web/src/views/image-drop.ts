import { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** The first image among what was pasted or dropped, if any. */
export function imageFileOf(data: DataTransfer | null | undefined): File | null {
  if (!data) return null;
  for (const file of Array.from(data.files ?? [])) if (file.type.startsWith('image/')) return file;
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind === 'file' && item.type.startsWith('image/')) return item.getAsFile();
  }
  return null;
}

const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * Files dragged over the conversation that holds `inside`: the area takes the drop (instead of
 * the browser opening the file) and hands over the first image (else the first file, to be
 * refused with a reason). True while files are over it.
 */
export function useImageDrop(inside: RefObject<HTMLElement | null>, onImage: (file: File) => void): boolean {
  const [over, setOver] = useState(false);
  const latest = useRef(onImage);
  latest.current = onImage;
  useEffect(() => {
    const area = inside.current?.closest<HTMLElement>('.conversation');
    if (!area) return;
    // dragenter and dragleave come for every child crossed: count them.
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth += 1;
      setOver(true);
    };
    const overArea = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) setOver(false);
    };
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const file = imageFileOf(e.dataTransfer) ?? e.dataTransfer?.files[0];
      if (file) latest.current(file);
    };
    area.addEventListener('dragenter', enter);
    area.addEventListener('dragover', overArea);
    area.addEventListener('dragleave', leave);
    area.addEventListener('drop', drop);
    return () => {
      area.removeEventListener('dragenter', enter);
      area.removeEventListener('dragover', overArea);
      area.removeEventListener('dragleave', leave);
      area.removeEventListener('drop', drop);
    };
  }, []);
  return over;
}
