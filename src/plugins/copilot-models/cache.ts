import type { Logger } from '../../index.js';
import type { CopilotModel } from './models.js';

export interface ModelCacheSettings {
  /** A list older than this is refreshed in the background on the next use (and by the timer). */
  ttlMs: number;
  /** After a failed fetch with nothing cached, requests do not wait for another fetch for this long. */
  retryMs: number;
  log: Logger;
}

/**
 * Copilot's model list in memory: one fetch however many requests wait (single flight), refreshed in the background
 * when stale, so only the very first request (or one after a failure window) waits for it.
 */
export class ModelCache {
  private models: CopilotModel[] | undefined;
  private fetchedAt = 0;
  private failedAt = 0;
  private lastError: string | undefined;
  private flight: Promise<CopilotModel[]> | undefined;

  constructor(
    private readonly load: () => Promise<CopilotModel[]>,
    private readonly settings: ModelCacheSettings,
  ) {}

  /** The list, fetching it first only when none is cached and no fetch failed within `retryMs`. */
  async current(): Promise<CopilotModel[] | undefined> {
    if (this.models) {
      if (Date.now() - this.fetchedAt > this.settings.ttlMs) this.refreshInBackground('stale');
      return this.models;
    }
    if (Date.now() - this.failedAt < this.settings.retryMs) return undefined;
    return this.refresh().catch(() => undefined);
  }

  /** The cached list without waiting. */
  peek(): CopilotModel[] | undefined {
    return this.models;
  }

  refresh(): Promise<CopilotModel[]> {
    this.flight ??= this.load()
      .then((models) => {
        this.models = models;
        this.fetchedAt = Date.now();
        this.lastError = undefined;
        this.settings.log.debug({ models: models.length }, 'copilot-models: model list refreshed');
        return models;
      })
      .catch((err: unknown) => {
        this.failedAt = Date.now();
        this.lastError = err instanceof Error ? err.message : String(err);
        this.settings.log.warn({ err: this.lastError, cached: this.models?.length ?? 0 }, 'copilot-models: model list refresh failed');
        throw err;
      })
      .finally(() => {
        this.flight = undefined;
      });
    return this.flight;
  }

  refreshInBackground(reason: string): void {
    if (this.flight) return;
    this.settings.log.debug({ reason }, 'copilot-models: refreshing the model list');
    this.refresh().catch(() => {});
  }

  status(): { models: number | undefined; fetchedAt: number | undefined; error: string | undefined } {
    return { models: this.models?.length, fetchedAt: this.fetchedAt || undefined, error: this.lastError };
  }
}
