import { copilotClientProperties, type CopilotClientIds } from '../../index.js';

/** Who started a request, as Copilot bills it (`x-initiator`). */
export type InitiatorMode = 'auto' | 'agent' | 'user';

/** Options of the header-injector plugin. */
export interface HeaderInjectorOptions extends CopilotClientIds {
  /** `openai-intent`. @default "conversation-agent" */
  openaiIntent: string;
  /** `x-vscode-user-agent-library-version`; empty = not sent. @default "electron-fetch" */
  libraryVersion: string;
  /** `user-agent`; empty = `GitHubCopilotChat/<chatVersion>`. @default "" */
  userAgent: string;
  /** `x-initiator`: `auto` classifies each request (see docs/copilot.md); `agent` / `user` fix it. @default "auto" */
  initiator: InitiatorMode;
  /** Extra headers set on every upstream request (after the ones above, so they can override them). @default {} */
  headers: Record<string, string>;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chatVersion: copilotClientProperties.chatVersion,
    editorVersion: copilotClientProperties.editorVersion,
    githubApiVersion: copilotClientProperties.githubApiVersion,
    integrationId: copilotClientProperties.integrationId,
    openaiIntent: { type: 'string', minLength: 1, default: 'conversation-agent', description: 'openai-intent header.' },
    libraryVersion: { type: 'string', default: 'electron-fetch', description: 'x-vscode-user-agent-library-version header; empty = not sent.' },
    userAgent: { type: 'string', default: '', description: 'user-agent header; empty = GitHubCopilotChat/<chatVersion>.' },
    initiator: { type: 'string', enum: ['auto', 'agent', 'user'], default: 'auto', description: "x-initiator: 'auto' classifies each request from Codex's signals; 'agent' or 'user' fixes it (env COPILOT_INITIATOR)." },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'Extra upstream headers, set last (they may override the ones above).' },
  },
} as const;
