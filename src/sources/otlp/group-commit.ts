/**
 * @module Group commit: export requests that become ready together share one `sink.ingest` call, so one store
 * transaction (and one commit) serves several requests. A store transaction costs a fixed part (begin, commit,
 * writing the dirtied pages) plus a part per signature touched, and requests under load tend to repeat the same
 * signatures, so sharing the transaction removes most of both.
 *
 * When: a group is opened by the first request and committed at the end of the current event-loop turn
 * (setImmediate), or later if the previous group is still being committed; requests that finish decoding in the
 * meantime (other sockets read in the same poll phase, or everything arriving during a slow commit) join it.
 * A lone request therefore waits for nothing but the rest of its loop turn.
 *
 * Guarantees kept per request: it is answered only after the shared ingest resolved (durable), and when that
 * rejects, every request of the group gets the rejection (the transports turn it into their retryable answer;
 * nothing of the group was committed, and eventId dedup makes the retries exactly-once). A group is bounded in
 * events and in bytes; a request that does not fit starts the next group, and a request bigger than the bounds
 * on its own still gets a group of its own.
 *
 * A request may hand over its events unbuilt ({@link PendingEvents}): they are built when its group is committed,
 * so they live for the store call only. A request whose events fail to build gets that error alone; the rest of
 * its group is stored without it.
 */
import type { ErrorEvent } from '../../domain/index.js';
import type { IngestSummary } from '../../ports/index.js';

export interface GroupCommitLimits {
  /** Most events in one shared ingest call. */
  readonly maxEvents: number;
  /** Most request bytes (as the caller weighs them) behind one shared ingest call. */
  readonly maxBytes: number;
}

export const GROUP_COMMIT_DEFAULTS: GroupCommitLimits = Object.freeze({
  // A few requests' worth at a 10% error rate: big enough to share commits under load, small enough that one
  // transaction stays a few milliseconds and a failure sends only a few requests back for a retry.
  maxEvents: 4096,
  maxBytes: 16 * 1024 * 1024,
});

export type GroupIngest = (events: readonly ErrorEvent[]) => Promise<IngestSummary>;

/** A request's events, built only when its group is committed. */
export interface PendingEvents {
  /** How many events, as the group bound counts them (the items that will make them). */
  readonly pendingCount: number;
  /** Builds the events; called once, just before the group's ingest. May throw. */
  errorEvents(): readonly ErrorEvent[];
}

interface Member {
  readonly source: readonly ErrorEvent[] | PendingEvents;
  /** Set when the group is committed: the built events, and the index of the first in the group's list. */
  events: readonly ErrorEvent[];
  offset: number;
  resolve(summary: IngestSummary): void;
  reject(error: unknown): void;
}

class Group {
  readonly members: Member[] = [];
  /** Events (or pending events) of the members, for the bound. */
  count = 0;
  bytes = 0;

  fits(events: number, bytes: number, limits: GroupCommitLimits): boolean {
    if (this.members.length === 0) return true;
    return this.count + events <= limits.maxEvents && this.bytes + bytes <= limits.maxBytes;
  }
}

const NO_EVENTS: readonly ErrorEvent[] = [];

function emptySummary(): IngestSummary {
  return { new: [], updated: [], duplicates: 0, sampledTraceIds: [], failed: [] };
}

export interface GroupCommitStats {
  /** Shared ingest calls made, and the requests they served. */
  readonly groups: number;
  readonly requests: number;
}

export class GroupCommit {
  private readonly ingest: GroupIngest;
  private readonly limits: GroupCommitLimits;
  /** Groups waiting their turn, oldest first; only the last one still takes new requests. */
  private readonly waiting: Group[] = [];
  private committing = false;
  private flushScheduled = false;
  private counts = { groups: 0, requests: 0 };

  constructor(ingest: GroupIngest, limits: GroupCommitLimits = GROUP_COMMIT_DEFAULTS) {
    if (!(limits.maxEvents >= 1) || !(limits.maxBytes >= 0)) {
      throw new RangeError('group commit limits must allow at least one event');
    }
    this.ingest = ingest;
    this.limits = limits;
  }

  /**
   * Stores `events` together with those of other requests ready at about the same time. Resolves once they
   * are durable with this request's share of the summary: `failed` indexes point into `events`, and
   * `sampledTraceIds` holds only trace ids of these events. `new`, `updated` and `duplicates` describe the
   * whole group: which request created a signature is not known once requests share a batch.
   */
  submit(events: readonly ErrorEvent[] | PendingEvents, bytes = 0): Promise<IngestSummary> {
    const count = isPending(events) ? events.pendingCount : events.length;
    let group = this.waiting[this.waiting.length - 1];
    if (group === undefined || !group.fits(count, bytes, this.limits)) {
      group = new Group();
      this.waiting.push(group);
    }
    group.count += count;
    group.bytes += bytes;
    const done = new Promise<IngestSummary>((resolve, reject) => {
      group.members.push({ source: events, events: NO_EVENTS, offset: 0, resolve, reject });
    });
    this.scheduleFlush();
    return done;
  }

  stats(): GroupCommitStats {
    return { ...this.counts };
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.committing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.commitNext();
    });
  }

  /** Commits waiting groups one after another; never rejects (each member gets its own outcome). */
  private async commitNext(): Promise<void> {
    if (this.committing) return;
    const group = this.waiting.shift();
    if (group === undefined) return;
    this.committing = true;
    this.counts.groups++;
    this.counts.requests += group.members.length;
    const members: Member[] = [];
    const events: ErrorEvent[] = [];
    for (const member of group.members) {
      try {
        member.events = isPending(member.source) ? member.source.errorEvents() : member.source;
      } catch (error) {
        member.reject(error);
        continue;
      }
      member.offset = events.length;
      for (const event of member.events) events.push(event);
      members.push(member);
    }
    try {
      if (events.length === 0) for (const member of members) member.resolve(emptySummary());
      else settleAll(members, await this.ingest(events));
    } catch (error) {
      for (const member of members) member.reject(error);
    } finally {
      this.committing = false;
    }
    // Requests that arrived during the commit are in the next group; they have waited long enough.
    if (this.waiting.length > 0) this.scheduleFlush();
  }
}

function settleAll(members: readonly Member[], summary: IngestSummary): void {
  if (members.length === 1) {
    members[0]!.resolve(summary);
    return;
  }
  const sampled = new Set(summary.sampledTraceIds);
  for (const member of members) {
    const end = member.offset + member.events.length;
    const failed = summary.failed
      .filter((f) => f.index >= member.offset && f.index < end)
      .map((f) => ({ index: f.index - member.offset, reason: f.reason }));
    const sampledTraceIds: string[] = [];
    if (sampled.size > 0) {
      const mine = new Set<string>();
      for (const event of member.events) {
        if (event.traceId !== undefined && sampled.has(event.traceId)) mine.add(event.traceId);
      }
      sampledTraceIds.push(...mine);
    }
    member.resolve({
      new: summary.new,
      updated: summary.updated,
      duplicates: summary.duplicates,
      sampledTraceIds,
      failed,
    });
  }
}

function isPending(events: readonly ErrorEvent[] | PendingEvents): events is PendingEvents {
  return !Array.isArray(events);
}
