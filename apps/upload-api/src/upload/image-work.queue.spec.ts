import { UploadConfig } from '@app/config';
import { ImageWorkQueue } from './image-work.queue';

describe('ImageWorkQueue', () => {
  it('runs at most UPLOAD_IMAGE_CONCURRENCY jobs at once, the others in order of arrival', async () => {
    const queue = new ImageWorkQueue(Object.assign(new UploadConfig(), { imageConcurrency: 2 }));
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = Array.from({ length: 5 }, (_, i) =>
      queue.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return i;
      }),
    );
    // Release jobs one at a time, as each gets its slot.
    for (let released = 0; released < 5; released++) {
      while (releases.length <= released) await new Promise((r) => setImmediate(r));
      expect(queue.load.running).toBe(Math.min(2, 5 - released));
      releases[released]();
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(queue.load).toEqual({ running: 0, waiting: 0, background: 0 });
  });

  it('frees the slot of a job that fails', async () => {
    const queue = new ImageWorkQueue(Object.assign(new UploadConfig(), { imageConcurrency: 1 }));
    await expect(queue.run(() => Promise.reject(new Error('decoder failed')))).rejects.toThrow('decoder failed');
    await expect(queue.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('starts waiting urgent jobs before background ones, and a promoted background job with the urgent ones', async () => {
    const queue = new ImageWorkQueue(Object.assign(new UploadConfig(), { imageConcurrency: 1 }));
    const started: string[] = [];
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    const job = (name: string) => () => {
      started.push(name);
      return Promise.resolve();
    };
    const b1 = { urgent: false };
    const b2 = { urgent: false };
    const jobs = [queue.run(job('b1'), b1), queue.run(job('b2'), b2), queue.run(job('u1')), queue.run(job('u2'))];
    queue.promote(b2);
    expect(queue.load).toEqual({ running: 1, waiting: 4, background: 1 });
    release();
    await Promise.all([first, ...jobs]);
    expect(started).toEqual(['u1', 'u2', 'b2', 'b1']);
  });
});
