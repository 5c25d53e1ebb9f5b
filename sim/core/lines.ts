import { fstatSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Stream the lines of an open file in 1 MiB chunks, so a file larger than V8's longest string still reads.
 * Calls `onLine` for every newline-terminated line and returns what follows the last newline (a torn last
 * line after a crash, or '' for a file that ends with a newline).
 */
export function forEachLine(fd: number, onLine: (line: string) => void): string {
  const decoder = new StringDecoder('utf8');
  const chunk = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, fstatSync(fd).size)));
  let rest = '';
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    const text = rest + decoder.write(chunk.subarray(0, n));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  return rest + decoder.end();
}
