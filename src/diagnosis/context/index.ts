/** @module Evidence for a diagnosis: gathering it (code, traces, logs, contrast) and rendering it into a prompt. */
export { assembleEvidence, type EvidenceInput, type EvidenceOptions } from './assemble-evidence.js';
export {
  type AttributeContrast,
  type AttributeContrastEntry,
  type AttributeContrastOptions,
  contrastAttributes,
  describeContrast,
} from './attribute-contrast.js';
export {
  type CodebaseAccess,
  type CodeResolution,
  type CodeResolutionOptions,
  type CodeSnippet,
  resolveFrameCode,
  type UnresolvedFrame,
  type UnresolvedReason,
} from './code-resolution.js';
export { type CodeLine, type CodeWindow, cutWindow } from './code-window.js';
export { buildCodebaseIndex, type CodebaseIndex, type CodebaseIndexOptions } from './codebase-index.js';
export type { CodebaseReader, DirectoryEntry, EntryKind, FileFacts } from './codebase-reader.js';
export {
  type CorrelatedLog,
  type LogEvidence,
  type LogSelectionOptions,
  selectCorrelatedLogs,
} from './correlated-logs.js';
export type { EvidenceBundle, ServiceVersions, SignatureForEvidence } from './evidence-bundle.js';
export {
  type EvidenceStore,
  type LoadEvidenceOptions,
  type LoadedEvidenceInputs,
  loadEvidenceInputs,
} from './load-evidence-inputs.js';
export { nodeCodebaseReader } from './node-codebase-reader.js';
export { openCodebase } from './open-codebase.js';
export { isUnder, type ReadOutcome, type ReadRefusal, readInsideRoot } from './read-inside-root.js';
export { type DiagnosisPrompt, type PromptOptions, renderDiagnosisPrompt } from './render-prompt.js';
export { eventAttributeMap, type SampleEvidence } from './sample-evidence.js';
export {
  findSimilarSignatures,
  type SignatureSimilarityFacts,
  type SimilarSignatureEvidence,
  type SimilarSignatureInput,
} from './similar-signatures.js';
export { estimateTokens } from './token-estimate.js';
export {
  buildTraceTree,
  renderTraceTree,
  type TraceTree,
  type TraceTreeNode,
  type TraceTreeOptions,
} from './trace-tree.js';
