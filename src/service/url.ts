import type { ResolvedConfig } from '../core/config.js';

/** `http://host:port`, an IPv6 host in brackets. */
export function gatewayUrl(host: string, port: number | string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where a client on this machine reaches the gateway a config describes: a wildcard bind address via 127.0.0.1. */
export function configGatewayUrl(config: ResolvedConfig): string {
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return gatewayUrl(host, config.server.port);
}
