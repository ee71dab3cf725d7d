// `clientMsgId`: 1 to 64 printable ASCII characters, unique per sender. crypto.randomUUID is
// missing on plain-http pages served over a LAN (not a secure context); getRandomValues is not.

export function newClientMsgId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(16));
  return `w-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
