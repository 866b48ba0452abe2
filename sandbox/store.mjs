// What the sandbox remembers: delivered messages (optionally journalled to a JSON-lines file
// and reloaded on start) and the log of every request. Both are capped in memory so that a
// benchmark of many thousands of sends does not make the sandbox itself grow without bound;
// the journal keeps everything.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class Store {
  #deliveries = [];
  #requests = [];
  #listeners = new Set();
  #nextId = 1;

  /**
   * @param {{ journal?: string, maxRecords?: number }} options
   */
  constructor({ journal, maxRecords = 10000 } = {}) {
    if (!Number.isInteger(maxRecords) || maxRecords < 1)
      throw new TypeError('maxRecords must be a positive integer');
    this.journal = journal;
    this.maxRecords = maxRecords;
    this.journalSkipped = 0;
    if (journal) this.#load();
  }

  // A crash can leave a half-written last line; such lines are skipped (and counted), the
  // rest is kept.
  #load() {
    if (!existsSync(this.journal)) {
      mkdirSync(dirname(this.journal), { recursive: true });
      return;
    }
    const lines = readFileSync(this.journal, 'utf8').split('\n');
    for (const line of lines) {
      if (line.trim() === '') continue;
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        this.journalSkipped++;
        continue;
      }
      if (!rec || typeof rec !== 'object' || !Number.isInteger(rec.id)) {
        this.journalSkipped++;
        continue;
      }
      this.#push(this.#deliveries, rec);
      this.#nextId = Math.max(this.#nextId, rec.id + 1);
    }
  }

  #push(list, item) {
    list.push(item);
    // Trim in chunks so the amortised cost stays O(1) per push.
    if (list.length > this.maxRecords + Math.max(1, this.maxRecords >> 3)) {
      list.splice(0, list.length - this.maxRecords);
    }
  }

  #trimmed(list) {
    return list.length > this.maxRecords ? list.slice(list.length - this.maxRecords) : list.slice();
  }

  /** Give the record an id, keep it, journal it, tell the listeners. */
  addDelivery(record) {
    const rec = { id: this.#nextId++, ...record };
    this.#push(this.#deliveries, rec);
    // Synchronous append: records land in the file in delivery order, and a test that reads
    // the journal right after a send sees the line.
    if (this.journal) appendFileSync(this.journal, `${JSON.stringify(rec)}\n`, 'utf8');
    this.#emit('message', rec);
    return rec;
  }

  deliveries() {
    return this.#trimmed(this.#deliveries);
  }

  getDelivery(id) {
    return this.#deliveries.find((d) => d.id === id);
  }

  /** Forget every delivery, in memory and in the journal (else they would come back on restart). */
  clearDeliveries() {
    const n = this.#deliveries.length;
    this.#deliveries = [];
    if (this.journal) writeFileSync(this.journal, '', 'utf8');
    this.#emit('clear', null);
    return n;
  }

  addRequest(entry) {
    this.#push(this.#requests, entry);
  }

  requests() {
    return this.#trimmed(this.#requests);
  }

  clearRequests() {
    this.#requests = [];
  }

  // A failing listener (say, an SSE client that went away) must not fail the delivery.
  #emit(event, rec) {
    for (const fn of this.#listeners) {
      try {
        fn(event, rec);
      } catch {
        this.#listeners.delete(fn);
      }
    }
  }

  /** fn(event: 'message'|'clear', record) ; returns an unsubscribe function. */
  subscribe(fn) {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
