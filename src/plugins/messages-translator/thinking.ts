import type { Settings } from './presets.js';
import type { ModelInfo } from './schema.js';

export interface Thinking {
  thinking: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };
  /** `output_config.effort` of adaptive thinking. */
  effort?: 'low' | 'medium' | 'high' | 'max';
}

const MIN_BUDGET = 1024;

/**
 * Codex's `reasoning.effort` as the model takes thinking: a budget below `max_tokens` (at least 1024, within the
 * bounds an earlier plugin reports), or adaptive thinking with an effort. No effort, `none` or `minimal`: no thinking.
 */
export function thinkingFor(effort: unknown, mode: ModelInfo['thinking'], maxTokens: number, budgets: Settings['budgets'], bounds?: { minThinkingBudget?: number; maxThinkingBudget?: number }): Thinking | undefined {
  if (effort !== 'low' && effort !== 'medium' && effort !== 'high' && effort !== 'xhigh') return undefined;
  if (mode === 'adaptive') return { thinking: { type: 'adaptive' }, effort: effort === 'xhigh' ? 'max' : effort };
  if (mode !== 'budget') return undefined;
  let budget = budgets[effort];
  if (bounds?.maxThinkingBudget) budget = Math.min(budget, bounds.maxThinkingBudget);
  if (bounds?.minThinkingBudget) budget = Math.max(budget, bounds.minThinkingBudget);
  // The answer needs room after the thinking: at least a quarter of max_tokens stays for it.
  budget = Math.min(budget, Math.floor(maxTokens * 0.75));
  if (budget < Math.max(MIN_BUDGET, bounds?.minThinkingBudget ?? 0) || budget >= maxTokens) return undefined;
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}
