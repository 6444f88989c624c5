/**
 * @module Model names: the deployment guide's `CLAUDE_MODEL=claude-opus` names a family, not a model. The CLI takes
 * family aliases (`opus`); the Messages API needs an id, so a family maps to its current recommended model. Any other
 * name is passed through unchanged, so a pinned id always wins.
 */

const FAMILIES: Readonly<Record<string, { readonly cli: string; readonly api: string }>> = {
  'claude-opus': { cli: 'opus', api: 'claude-opus-5' },
  opus: { cli: 'opus', api: 'claude-opus-5' },
  'claude-sonnet': { cli: 'sonnet', api: 'claude-sonnet-5' },
  sonnet: { cli: 'sonnet', api: 'claude-sonnet-5' },
  'claude-haiku': { cli: 'haiku', api: 'claude-haiku-4-5' },
  haiku: { cli: 'haiku', api: 'claude-haiku-4-5' },
};

export function claudeModelFor(target: 'cli' | 'api', configured: string): string {
  const family = FAMILIES[configured.trim().toLowerCase()];
  return family ? family[target] : configured.trim();
}
