// How the gateway introduces itself to GitHub and Copilot: as VS Code's Copilot Chat extension does. One definition
// (interface, schema properties, defaults, env names, headers) for every plugin that calls them.

/** The versions every call to GitHub or Copilot carries. */
export interface CopilotClientVersions {
  /** Copilot Chat version: `editor-plugin-version: copilot-chat/<v>`, `user-agent: GitHubCopilotChat/<v>`. @default "0.35.0" */
  chatVersion: string;
  /** `editor-version`. @default "vscode/1.109.2" */
  editorVersion: string;
}

/** The versions plus the ids Copilot's API (not the token exchange) expects. */
export interface CopilotClientIds extends CopilotClientVersions {
  /** `x-github-api-version`. @default "2025-10-01" */
  githubApiVersion: string;
  /** `copilot-integration-id`. @default "vscode-chat" */
  integrationId: string;
}

const COPILOT_CLIENT_DEFAULTS: Readonly<CopilotClientIds> = Object.freeze({
  chatVersion: '0.35.0',
  editorVersion: 'vscode/1.109.2',
  githubApiVersion: '2025-10-01',
  integrationId: 'vscode-chat',
});

/** JSON-schema properties of the options above, for a plugin's `schema.properties`. */
export const copilotClientProperties = {
  chatVersion: { type: 'string', minLength: 1, default: COPILOT_CLIENT_DEFAULTS.chatVersion, description: 'Copilot Chat version for editor-plugin-version and user-agent (env COPILOT_CHAT_VERSION).' },
  editorVersion: { type: 'string', minLength: 1, default: COPILOT_CLIENT_DEFAULTS.editorVersion, description: 'editor-version header (env COPILOT_EDITOR_VERSION).' },
  githubApiVersion: { type: 'string', minLength: 1, default: COPILOT_CLIENT_DEFAULTS.githubApiVersion, description: 'x-github-api-version header (env GITHUB_API_VERSION).' },
  integrationId: { type: 'string', minLength: 1, default: COPILOT_CLIENT_DEFAULTS.integrationId, description: 'copilot-integration-id header (env COPILOT_INTEGRATION_ID).' },
} as const;

/** The environment variables of the original that set these options (a plugin's `env`). */
export const copilotClientEnv = {
  chatVersion: 'COPILOT_CHAT_VERSION',
  editorVersion: 'COPILOT_EDITOR_VERSION',
  githubApiVersion: 'GITHUB_API_VERSION',
  integrationId: 'COPILOT_INTEGRATION_ID',
} as const;

/** `user-agent`, `editor-version` and `editor-plugin-version`, as Copilot Chat sends them. */
export function copilotClientHeaders(v: CopilotClientVersions): Record<string, string> {
  return {
    'user-agent': `GitHubCopilotChat/${v.chatVersion}`,
    'editor-version': v.editorVersion,
    'editor-plugin-version': `copilot-chat/${v.chatVersion}`,
  };
}
