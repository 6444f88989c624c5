/** @module What every runtime's stack-trace support provides. */
import type { Language, StackFrame } from '../../domain/index.js';

/** One exception of a (possibly chained) trace. Frames are ordered outermost call first, innermost (where it was thrown) last. */
export interface ParsedException {
  type: string;
  message: string;
  frames: StackFrame[];
}

export interface ParsedTrace {
  language: Language;
  /**
   * exceptions[0] is the one that reached the top (what `exception.type` reports); exceptions[i + 1] is the
   * cause (or the exception being handled) of exceptions[i]. Suppressed exceptions are not part of the chain.
   */
  exceptions: ParsedException[];
}

/** A frame before in-app classification. */
export type RawFrame = Omit<StackFrame, 'inApp'>;

export interface RuntimeSupport {
  readonly language: Exclude<Language, 'unknown'>;
  /** A score from 0 (certainly not this runtime's trace) to 1 (certainly is). Cheap: runs on every event without a hint. */
  detect(text: string): number;
  /** Parses a trace; returns undefined when the text is not in this runtime's format. Never throws. */
  parse(text: string): ParsedTrace | undefined;
  /**
   * The frame's identity for grouping: module + function with everything that changes between builds or
   * deploys removed (line numbers, absolute path prefixes, build hashes, lambda/anonymous numbering,
   * async state-machine wrappers). Two frames of the same code in two deploys give the same key.
   */
  groupingKey(frame: RawFrame): string;
  /** True for stdlib, runtime internals and third-party dependency frames by this runtime's conventions. */
  isLibraryFrame(frame: RawFrame): boolean;
}
