/** Options of the copilot-upstream plugin. */
export interface CopilotUpstreamOptions {
  /** Upstream URL for `POST /v1/responses`. @default "https://api.githubcopilot.com/responses" */
  responsesUrl: string;
  /** Upstream URL for `GET /v1/models`. @default "https://api.githubcopilot.com/models" */
  modelsUrl: string;
}

const DEFAULT_RESPONSES_URL = 'https://api.githubcopilot.com/responses';
const DEFAULT_MODELS_URL = 'https://api.githubcopilot.com/models';

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    responsesUrl: { type: 'string', minLength: 1, default: DEFAULT_RESPONSES_URL, description: 'Upstream URL for POST /v1/responses (env COPILOT_RESPONSES_URL).' },
    modelsUrl: { type: 'string', minLength: 1, default: DEFAULT_MODELS_URL, description: 'Upstream URL for GET /v1/models (env COPILOT_MODELS_URL).' },
  },
} as const;
