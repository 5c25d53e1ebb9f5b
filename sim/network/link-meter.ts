import type { Socket } from 'node:net';

/**
 * Bytes the socket handed to the OS. Not `bytesWritten`: that adds whatever still waits in the socket's own
 * buffer — a request queued while connecting to a refused port counts as written, forever. `_bytesDispatched`
 * (the handle's counter, Node's net.Socket since 0.x) is what left; absent in some future Node, fall back.
 */
function bytesSent(socket: Socket): number {
  const dispatched = (socket as Socket & { readonly _bytesDispatched?: unknown })._bytesDispatched;
  return typeof dispatched === 'number' ? dispatched : socket.bytesWritten;
}

/** Bytes a link carried so far, as its edge end counts them. "up" is edge → cloud, "down" cloud → edge. */
export interface LinkBytes {
  readonly up: number;
  readonly down: number;
}

/**
 * Counts the bytes through one uplink at its edge end: the TCP payload every edge socket behind the link wrote
 * and read (TLS records and WebSocket framing included; TCP/IP headers and retransmissions not).
 *
 * Why here and not in Toxiproxy: Toxiproxy 2.12 counts bytes only with `-proxy-metrics`, and only when a
 * connection ends (link.go adds io.Copy's total after it returns), so a long-lived hub connection shows 0 for
 * as long as it lives. The edge sockets have live counters (bytes handed to the OS, bytes read), so the meter
 * keeps the open sockets and reads them when asked, and folds a socket's final counts in when it closes.
 *
 * "up" is what the edges put on the link, including bytes a cut link then drops; "down" is what reached them.
 */
export class LinkMeter {
  private readonly open = new Set<Socket>();
  private closedUp = 0;
  private closedDown = 0;

  /** Count this socket's traffic from now until it closes. Attach the raw TCP socket, not a TLS one (those count plaintext). */
  attach(socket: Socket): void {
    if (this.open.has(socket)) return;
    this.open.add(socket);
    socket.once('close', () => {
      if (!this.open.delete(socket)) return;
      this.closedUp += bytesSent(socket);
      this.closedDown += socket.bytesRead;
    });
  }

  /** Totals so far: every closed socket's final counts plus the open ones' current counts. Never decreases. */
  bytes(): LinkBytes {
    let up = this.closedUp;
    let down = this.closedDown;
    for (const s of this.open) {
      up += bytesSent(s);
      down += s.bytesRead;
    }
    return { up, down };
  }

  /** Sockets being counted now. */
  get openSockets(): number {
    return this.open.size;
  }
}
