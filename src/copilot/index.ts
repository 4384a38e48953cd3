// Copilot auth shared by the auth plugins and the `login` / `print-token` commands.
export { CopilotAuthError, missingAuthError } from './errors.js';
export { stripBearer, refuseInbound, type InboundAuthPolicy } from './bearer.js';
export { CopilotTokenStore, COPILOT_TOKEN_URL, type CopilotToken } from './store.js';
export { resolveTokenFilePath, parseTokenFile, readTokenFile, serializeTokenFile, type TokenFileData } from './token-file.js';
export { deviceLogin, DeviceLoginError, type DeviceLoginSettings } from './device-login.js';
export { copilotClientProperties, copilotClientEnv, copilotClientHeaders, type CopilotClientVersions, type CopilotClientIds } from './client.js';
