import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('keeps exactly the values not yet removed, whatever the order of removal, and ignores a second removal', () => {
    const list = new InFlight<number>();
    const remove = [1, 2, 3, 4, 5].map((n) => list.add(n));
    remove[1]!();
    remove[4]!();
    remove[1]!();
    expect(list.size).toBe(3);
    expect(list.values().sort()).toEqual([1, 3, 4]);
    remove[0]!();
    const six = list.add(6);
    remove[3]!();
    expect(list.values().sort()).toEqual([3, 6]);
    six();
    remove[2]!();
    expect(list.size).toBe(0);
    expect(list.values()).toEqual([]);
  });
});
