import { hostname } from 'node:os';
import { processInstanceId } from './instance-id';

describe('processInstanceId', () => {
  it('names the process by INSTANCE_ID, pid and a random suffix', () => {
    expect(processInstanceId({ instanceId: 'gw-1' })).toMatch(new RegExp(`^gw-1:${process.pid}:[0-9a-f]{6}$`));
  });

  it('falls back to the host name', () => {
    const id = processInstanceId({});
    expect(id.startsWith(`${hostname()}:${process.pid}:`)).toBe(true);
    expect(id.slice(`${hostname()}:${process.pid}:`.length)).toMatch(/^[0-9a-f]{6}$/);
  });

  it('is computed once per process: the bus and the gateway see the same id', () => {
    expect(processInstanceId({ instanceId: 'gw-1' })).toBe(processInstanceId({ instanceId: 'gw-1' }));
    expect(processInstanceId({})).toBe(processInstanceId({ instanceId: undefined }));
  });

  it('differs between two processes with the same INSTANCE_ID and pid', () => {
    // A fresh module registry stands for another process (same pid, as with pid 1 in containers).
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      jest.isolateModules(() => {
        const fresh = jest.requireActual<typeof import('./instance-id')>('./instance-id');
        ids.add(fresh.processInstanceId({ instanceId: 'gw-1' }));
      });
    }
    expect(ids.size).toBe(5);
  });
});
