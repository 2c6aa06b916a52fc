/**
 * The preview's only source of chance: a small seeded generator (mulberry32), so the same
 * seed and the same flags give the same numbers, byte for byte, on every machine.
 */
export class Random {
  private state: number;

  public constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with this probability, given in percent (0 never draws true, 100 always). */
  public percent(value: number): boolean {
    return this.next() * 100 < value;
  }

  /** An index from 0 to `size - 1`, each equally likely. */
  public index(size: number): number {
    return Math.floor(this.next() * size);
  }
}

/** A stable 32-bit hash of a string (FNV-1a): what consistent hashing picks a pod by. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
