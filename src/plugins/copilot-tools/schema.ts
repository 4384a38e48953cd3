/** Options of the copilot-tools plugin. */
export interface CopilotToolsOptions {
  /**
   * `wrap`: send Codex's freeform (`custom`) tools to Copilot's `/responses` as function tools and turn the calls
   * back into `custom_tool_call` items; `keep`: send them unchanged. @default "wrap"
   */
  customTools: 'wrap' | 'keep';
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    customTools: { enum: ['wrap', 'keep'], default: 'wrap', description: "'wrap' sends custom (freeform) tools such as apply_patch to Copilot /responses as function tools and unwraps the calls; 'keep' sends them unchanged." },
  },
} as const;
