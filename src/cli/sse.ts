/**
 * A Server-Sent Events reader (the parts of the WHATWG format hooklane's streams use): `event:`
 * and `data:` fields, several `data:` lines joined by newlines, comment lines (`: ping`) ignored,
 * a blank line ending one event. Lines may end in LF, CRLF or CR and may be split across chunks.
 */
export interface SseEvent {
  event: string;
  data: string;
}

export async function* readSse(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  function* lines(final: boolean): Generator<SseEvent> {
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer);
      // a CR at the very end may be the first half of a CRLF split across chunks
      if (m === null || (!final && m[0] === '\r' && m.index === buffer.length - 1)) return;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      if (line === '') {
        if (data.length > 0) yield { event: event === '' ? 'message' : event, data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* lines(false);
  }
  yield* lines(true);
}
