import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

/** GET a URL and report whether it answered 200 (and, optionally, whether the body matches). */
export function httpOk(url: string, opts: { tls?: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>; bodyMatches?: RegExp; timeoutMs?: number } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const common = { method: 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search, timeout: opts.timeoutMs ?? 2000 };
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve(res.statusCode === 200 && (opts.bodyMatches === undefined || opts.bodyMatches.test(body)));
      });
      res.on('error', () => resolve(false));
    };
    const req = u.protocol === 'https:' ? httpsRequest({ ...common, ...opts.tls, agent: false }, onResponse) : httpRequest(common, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
