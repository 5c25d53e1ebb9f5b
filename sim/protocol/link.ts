/**
 * A Transport carrying beehive messages: the codec on both directions, and undecodable frames reported
 * instead of thrown (edgecore closes the connection on a read error; whether the simulator does the same is
 * the caller's choice, so it gets the error and decides).
 */
import type { EdgeproofError } from '../core/index.ts';
import { encodeMessage, tryDecodeMessage, type EncodeOptions } from './codec.ts';
import type { Message } from './message.ts';
import type { CloseInfo, Frame, Transport } from './transport.ts';

export interface MessageLinkHandlers {
  readonly onMessage: (message: Message) => void;
  readonly onBadFrame?: (error: EdgeproofError, frame: Frame) => void;
  readonly onClose?: (info: CloseInfo) => void;
}

export interface MessageLink {
  readonly transport: Transport;
  send(message: Message): Promise<void>;
}

export function linkMessages(transport: Transport, handlers: MessageLinkHandlers, encode: EncodeOptions = {}): MessageLink {
  transport.onMessage((frame) => {
    const r = tryDecodeMessage(frame);
    if (r.ok) handlers.onMessage(r.message);
    else handlers.onBadFrame?.(r.error, frame);
  });
  if (handlers.onClose !== undefined) transport.onClose(handlers.onClose);
  return {
    transport,
    send: (message) => {
      let frame: string;
      try {
        frame = encodeMessage(message, encode);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return transport.send(frame);
    },
  };
}
