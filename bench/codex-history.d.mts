// Types of codex-history.mjs, for the tests that translate the bench's long histories.

export interface RecordedBodies {
  turn1: Record<string, unknown>;
  turn2: Record<string, unknown>;
}

export function historyFixtures(root: string): string;
export function loadRecorded(root: string): Partial<RecordedBodies> & { skip?: string };
export function sealers(root: string): Promise<{ chat: (text: string, model: string) => string; messages: ((text: string, model: string, signature: string) => string) | undefined }>;
export function historyBody(recorded: RecordedBodies, options: { model: string; targetBytes: number; seal: (text: string, model: string, signature: string) => string }): { text: string; items: number };
export function sessionVariant(text: string, n: number): string;
export function growingSessions(recorded: RecordedBodies, options: { model: string; targetBytes: number; seal: (text: string, model: string, signature: string) => string; sessions: number; turns: number }): Buffer[][];
