import type { Clock, Timer } from '../core/clock.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import type { Random } from '../core/random.ts';
import { encodeMessage, tryDecodeMessage } from '../protocol/codec.ts';
import { MessageFactory, type Message } from '../protocol/message.ts';
import type { CloseInfo, Transport } from '../protocol/transport.ts';
import { reconnectDelay, type ReconnectPolicy } from './backoff.ts';

/**
 * EdgeHub: one node's connection to CloudHub. Sends a keepalive every heartbeat (the cloud drops a session
 * whose keepalive is late), matches sync replies by parent_msg_id, and after a broken link waits as its
 * reconnect policy says before dialling again. The transport is injected: a real mTLS WebSocket, or an
 * in-memory pair in tests.
 */
export type Dialer = () => Promise<Transport>;

export type HubState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export interface HubClientOptions {
  readonly nodeName: string;
  readonly dial: Dialer;
  readonly clock: Clock;
  readonly random: Random;
  readonly messages: MessageFactory;
  readonly reconnect: ReconnectPolicy;
  /** edgecore modules.edgeHub.heartbeat (15 s). */
  readonly heartbeatMs?: number;
  /** How long a sync request waits for the cloud's reply (edgecore remoteQueryTimeout: 60 s). */
  readonly requestTimeoutMs?: number;
  readonly onMessage: (message: Message) => void;
  readonly onConnected?: () => void;
  readonly onDisconnected?: (info: CloseInfo) => void;
  /** A frame the cloud sent that does not decode: reported, never fatal. */
  readonly onBadFrame?: (error: EdgeproofError) => void;
  /** Test-only defect: never dial again after the first loss ("never reconnects after a storm"). */
  readonly neverReconnect?: boolean;
}

interface Pending {
  readonly resolve: (m: Message) => void;
  readonly reject: (e: Error) => void;
  readonly timer: Timer;
}

export class HubClient {
  private transport: Transport | undefined;
  private keepaliveTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private attempt = 0;
  private readonly pending = new Map<string, Pending>();
  private stateValue: HubState = 'idle';
  private everConnected = false;
  /** How many times this node has dialled (reconnect-rate figures). */
  dials = 0;
  connectedAt: number | undefined;

  private policy: ReconnectPolicy;

  constructor(private readonly opts: HubClientOptions) {
    this.policy = opts.reconnect;
  }

  get state(): HubState {
    return this.stateValue;
  }

  get connected(): boolean {
    return this.stateValue === 'connected';
  }

  /** Dial now; on failure keep retrying by the policy. Resolves after the first attempt either way. */
  async start(): Promise<void> {
    if (this.stateValue !== 'idle' && this.stateValue !== 'stopped') return;
    this.stateValue = 'connecting';
    await this.dialOnce();
  }

  /** Close the link and stop retrying (the edge process is shutting down or crashing). */
  stop(kind: 'close' | 'crash' = 'close'): void {
    this.stateValue = 'stopped';
    this.keepaliveTimer?.cancel();
    this.retryTimer?.cancel();
    const t = this.transport;
    this.transport = undefined;
    if (t !== undefined) {
      if (kind === 'crash') t.terminate();
      else t.close(1000, 'edge stopping');
    }
    this.failPending('the edge stopped');
  }

  /** The link breaks now (a cut cable): the peer sees 1006 and this side reconnects by its policy. */
  dropLink(): void {
    this.linkBroken('link dropped');
  }

  setReconnectPolicy(policy: ReconnectPolicy): void {
    this.policy = policy;
    this.attempt = 0;
  }

  /** Fire-and-forget send (ACKs, status patches). Returns false when not connected. */
  send(message: Message): boolean {
    const t = this.transport;
    if (t === undefined || this.stateValue !== 'connected') return false;
    t.send(encodeMessage(message)).catch((e: unknown) => this.linkBroken(`write failed: ${messageOf(e)}`));
    return true;
  }

  /** Sync request: resolves with the cloud's reply (matched by parent_msg_id). */
  request(message: Message): Promise<Message> {
    if (!this.send(message)) {
      return Promise.reject(new EdgeproofError('E_PROTOCOL', 'not connected', { where: this.opts.nodeName, fix: 'wait for the edge to reconnect' }));
    }
    return new Promise<Message>((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.pending.delete(message.header.msgId);
        reject(new EdgeproofError('E_TIMEOUT', `no reply to ${message.route.operation} ${message.route.resource}`, { where: this.opts.nodeName }));
      }, this.opts.requestTimeoutMs ?? 60_000);
      this.pending.set(message.header.msgId, { resolve, reject, timer });
    });
  }

  /** A method, not an inline comparison: the state changes across awaits, which narrowing cannot see. */
  private stopped(): boolean {
    return this.stateValue === 'stopped';
  }

  private async dialOnce(): Promise<void> {
    if (this.stopped()) return;
    this.dials++;
    let transport: Transport;
    try {
      transport = await this.opts.dial();
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped()) {
      transport.terminate();
      return;
    }
    this.everConnected = true;
    this.transport = transport;
    this.stateValue = 'connected';
    this.connectedAt = this.opts.clock.now();
    this.attempt = 0;
    transport.onMessage((frame) => this.receive(frame));
    transport.onClose((info) => {
      if (this.transport !== transport) return;
      this.transport = undefined;
      this.afterLoss(info);
    });
    this.scheduleKeepalive();
    this.opts.onConnected?.();
  }

  private receive(frame: string | Uint8Array): void {
    const decoded = tryDecodeMessage(frame);
    if (!decoded.ok) {
      this.opts.onBadFrame?.(decoded.error);
      return;
    }
    const message = decoded.message;
    // edgehub treats any message carrying a parent id as the reply to a sync request
    const parent = message.header.parentMsgId;
    if (parent !== undefined && parent !== '') {
      const waiting = this.pending.get(parent);
      if (waiting !== undefined) {
        this.pending.delete(parent);
        waiting.timer.cancel();
        // metamanager's feedbackResponse acknowledges every reply to a remote request: CloudHub sends replies
        // that carry objects (queries, registration) through its stop-and-wait ACK queue, and an unacked reply
        // holds up every later message to this node by 5 s × 5 resends
        this.send(this.opts.messages.ack(message));
        waiting.resolve(message);
        return;
      }
    }
    this.opts.onMessage(message);
  }

  private scheduleKeepalive(): void {
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = this.opts.clock.setTimeout(() => {
      if (this.stateValue !== 'connected') return;
      this.send(this.opts.messages.keepalive());
      this.scheduleKeepalive();
    }, this.opts.heartbeatMs ?? 15_000);
  }

  private linkBroken(why: string): void {
    const t = this.transport;
    if (t === undefined) return;
    this.transport = undefined;
    t.terminate();
    this.afterLoss({ code: 1006, reason: why });
  }

  private afterLoss(info: CloseInfo): void {
    this.keepaliveTimer?.cancel();
    this.failPending('the link to the cloud broke');
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'waiting';
    this.connectedAt = undefined;
    this.opts.onDisconnected?.(info);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped()) return;
    this.stateValue = 'waiting';
    if (this.opts.neverReconnect === true && this.everConnected) return;
    const delay = reconnectDelay(this.policy, this.attempt++, this.opts.random);
    this.retryTimer?.cancel();
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.stateValue = 'connecting';
      void this.dialOnce();
    }, delay);
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      p.reject(new EdgeproofError('E_PROTOCOL', why, { where: this.opts.nodeName }));
      this.pending.delete(id);
    }
  }
}
