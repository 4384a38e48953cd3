import { EventEmitter } from 'node:events';

/**
 * An exchange's cancellation. An `AbortController` costs a few microseconds to make and to listen to, per request;
 * this is an EventEmitter (undici accepts one as a request's signal) that makes the real `AbortSignal` only when a
 * plugin or a sleep asks for `exchange.signal`.
 */
export class ExchangeAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  #controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.emit('abort');
  }
}
