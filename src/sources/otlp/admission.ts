/** @module Bounded in-flight work: requests and bytes held at once, refused at the door instead of queued. */

export interface AdmissionLimits {
  maxRequests: number;
  maxBytes: number;
}

/** One admitted request's share of the budget. `release()` is idempotent, so every `finally` may call it. */
export interface AdmissionTicket {
  /** Bytes this ticket holds now. */
  readonly bytes: number;
  /**
   * Claims `n` more bytes (body chunks as they stream in, the inflated body). False, claiming nothing, when
   * that would pass the byte bound while other requests hold bytes: the caller answers "overloaded".
   */
  grow(n: number): boolean;
  release(): void;
}

/**
 * Counts what the receiver holds across both transports. There is deliberately no queue: a sender that is
 * refused keeps its data and retries after Retry-After, which bounds our memory without losing anything.
 * A request alone in flight is always admitted whatever its size (the request limit still applies), so a
 * byte bound below the request limit makes big requests wait for a quiet moment rather than fail forever.
 */
export class Admission {
  private requests = 0;
  private bytesHeld = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  get inflightRequests(): number {
    return this.requests;
  }

  get inflightBytes(): number {
    return this.bytesHeld;
  }

  /** A ticket holding `bytes` (0 when the size is not known yet), or undefined when either bound is reached. */
  tryAcquire(bytes = 0): AdmissionTicket | undefined {
    if (this.requests >= this.limits.maxRequests) return undefined;
    if (this.requests > 0 && this.bytesHeld + bytes > this.limits.maxBytes) return undefined;
    this.requests += 1;
    this.bytesHeld += bytes;
    return this.ticket(bytes);
  }

  private ticket(initial: number): AdmissionTicket {
    let held = initial;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      grow: (n: number): boolean => {
        if (released) return false;
        const others = this.bytesHeld - held;
        if (others > 0 && this.bytesHeld + n > this.limits.maxBytes) return false;
        held += n;
        this.bytesHeld += n;
        return true;
      },
      release: (): void => {
        if (released) return;
        released = true;
        this.requests -= 1;
        this.bytesHeld -= held;
        held = 0;
      },
    };
  }
}
