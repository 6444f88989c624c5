/** @module What the tool loop tells the model about its tools and its final answer, and the submit tool itself. */
import { diagnosisJsonSchema } from '../../output.js';
import type { ToolSpec } from './provider.js';

export const SUBMIT_TOOL_NAME = 'submit_diagnosis';

export function submitTool(): ToolSpec {
  return {
    name: SUBMIT_TOOL_NAME,
    description:
      'Submits your final diagnosis. Call it exactly once, when you are done investigating; the conversation ends ' +
      'with it. Every file:line you cite must be one you have seen.',
    inputSchema: diagnosisJsonSchema(),
  };
}

/** Appended to the prompt builder's system prompt: the builder knows the evidence, the loop knows the tools. */
export const TOOL_INSTRUCTIONS = [
  'You can read the monitored codebase with read-only tools (read_file, search_code, list_directory); paths are',
  'relative to the codebase root. The tools cannot change files or run anything. Investigate only as far as the',
  `evidence needs, then call ${SUBMIT_TOOL_NAME} exactly once with your diagnosis. Do not answer in plain text.`,
].join(' ');

export type FinalReason = 'turns' | 'budget';

export function finalAnswerNote(reason: FinalReason): string {
  const why =
    reason === 'turns'
      ? 'You have used all investigation turns.'
      : 'The cost budget for this diagnosis leaves room for one more call only.';
  return (
    `${why} Do not call any other tool. Call ${SUBMIT_TOOL_NAME} now with the best diagnosis the evidence so far ` +
    'supports, and lower the confidence if the investigation is incomplete.'
  );
}

export function rejectedAnswerNote(error: string): string {
  return `Your answer was rejected: ${error}\nCall ${SUBMIT_TOOL_NAME} again with a corrected diagnosis.`;
}
