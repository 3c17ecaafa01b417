/**
 * @module What both engines' stores share, written once: closing (flush,
 * then release the engine, even when that flush fails; refuse work after)
 * and handing the document methods on to the engine's own documents class
 * (`duckdb/documents.ts`, `clickhouse/documents.ts`).
 */

import { type DocKind, type DocPartition, type DocVersion, type FlowStore, StoreError } from './types.js';

/** What an engine's documents answer: the document methods of {@link FlowStore}. */
export type Documents = Pick<FlowStore, 'putDocs' | 'getDocs' | 'lastPartition' | 'docVersions'>;

export abstract class EngineStore implements Documents {
  protected abstract readonly docs: Documents;
  protected closed = false;

  abstract flush(): Promise<void>;
  /** Releases the engine's connections (after the last flush). */
  protected abstract release(): Promise<void>;

  /** Flushes and releases the engine; the engine is released even when that last flush fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.release();
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw new StoreError('the store is closed', 'store_closed');
  }

  putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void> {
    return this.docs.putDocs(kind, partition, docs);
  }

  getDocs<T = unknown>(kind: DocKind, range?: { from?: string; to?: string }): Promise<DocPartition<T>[]> {
    return this.docs.getDocs<T>(kind, range);
  }

  lastPartition(kind: DocKind): Promise<string | undefined> {
    return this.docs.lastPartition(kind);
  }

  docVersions(kind: DocKind): Promise<DocVersion[]> {
    return this.docs.docVersions(kind);
  }
}
