// Copilot auth shared by the auth plugins and the `login` / `print-token` commands.
export { CopilotAuthError, isCopilotAuthError, missingAuthError, LOGIN_FIX, type CopilotAuthReason } from './errors.js';
export { stripBearer, isVisibleAscii, refuseInbound, MIN_INBOUND_TOKEN_LENGTH, type InboundAuthPolicy } from './bearer.js';
export { CopilotTokenStore, type CopilotToken, type TokenStoreSettings, type TokenFileStatus } from './store.js';
export { resolveTokenFilePath, defaultTokenFilePath, validateApiBase, parseTokenFile, readTokenFile, serializeTokenFile, type TokenFileData, type TokenFileSnapshot } from './token-file.js';
export { exchangeCopilotToken, type ExchangeSettings, type ExchangedToken } from './exchange.js';
export { deviceLogin, DeviceLoginError, type DeviceLoginSettings, type DeviceLoginIO } from './device-login.js';
export { COPILOT_CLIENT_DEFAULTS, copilotClientProperties, copilotClientEnv, copilotClientHeaders, type CopilotClientVersions, type CopilotClientIds } from './client.js';
