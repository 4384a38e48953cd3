/** A config.toml as people keep it: top, inline and in-table comments, another provider, profiles, unrelated tables, a date. */
export const USER_TOML = `# My Codex settings -- do not lose this comment
model = "gpt-5.4" # my favourite
approval_policy = "on-request"

# Local models
[model_providers.ollama-local]
name = "Ollama" # inline comment in a table
base_url = "http://localhost:11434/v1"
# a comment inside a table

[profiles.fast]
model = "gpt-5.4-mini"
model_reasoning_effort = "low"

[tui]
theme = "dark"
since = 2024-01-15

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]
`;
