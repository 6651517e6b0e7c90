/** The CLI's Server-Sent Events reader: framing however the bytes are split. */
import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../../src/cli/sse.js';

async function parse(chunks: string[]): Promise<SseEvent[]> {
  async function* source() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: SseEvent[] = [];
  for await (const ev of readSse(source())) out.push(ev);
  return out;
}

const STREAM =
  ': connected\n\nevent: ready\ndata: {"a":1}\n\n: ping\n\nevent: delivery\ndata: line1\ndata: line2\n\ndata: plain\n\n';
const EXPECTED = [
  { event: 'ready', data: '{"a":1}' },
  { event: 'delivery', data: 'line1\nline2' },
  { event: 'message', data: 'plain' },
];

describe('readSse', () => {
  it('reads events, joins data lines, skips comments', async () => {
    expect(await parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events whatever the chunk boundaries (byte by byte)', async () => {
    expect(await parse(STREAM.split(''))).toEqual(EXPECTED);
  });

  it('accepts CRLF and CR line ends, also a CRLF split across chunks', async () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    expect(await parse([crlf])).toEqual(EXPECTED);
    expect(
      await parse(crlf.split('\n').map((part, i, all) => (i < all.length - 1 ? part + '\n' : part))),
    ).toEqual(EXPECTED);
    expect(await parse([STREAM.replace(/\n/g, '\r')])).toEqual(EXPECTED);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('data: é€\n\n');
    async function* source() {
      for (const b of bytes) yield Buffer.from([b]);
    }
    const out: SseEvent[] = [];
    for await (const ev of readSse(source())) out.push(ev);
    expect(out).toEqual([{ event: 'message', data: 'é€' }]);
  });

  it('drops an unfinished event at the end of the stream', async () => {
    expect(await parse(['event: delivery\ndata: half'])).toEqual([]);
  });
});
