import { countTargets, formatTable, metric } from '../../../bench/lib/report';

describe('bench report rows', () => {
  it('keeps an info row with a check printed but out of the targets', () => {
    const earlier = metric({
      benchmark: 'events',
      name: 'earlier',
      value: 1,
      unit: 'x',
      baseline: 4,
      check: { on: 'ratio', op: '>=', limit: 0.5 },
      info: true,
    });
    expect(earlier).toMatchObject({ kind: 'info', pass: null, ratio: 0.25, target: 'info: was ratio >= 0.5' });
  });

  it('counts only target rows in "N of M targets met"', () => {
    const metrics = [
      metric({ benchmark: 'b', name: 'met', value: 2, unit: 'x', check: { on: 'value', op: '<=', limit: 3 } }),
      metric({ benchmark: 'b', name: 'missed', value: 4, unit: 'x', check: { on: 'value', op: '<=', limit: 3 } }),
      metric({ benchmark: 'b', name: 'earlier, missed', value: 4, unit: 'x', check: { on: 'value', op: '<=', limit: 3 }, info: true }),
      metric({ benchmark: 'b', name: 'earlier, met', value: 1, unit: 'x', check: { on: 'value', op: '<=', limit: 3 }, info: true }),
      metric({ benchmark: 'b', name: 'plain figure', value: 7, unit: 'x' }),
    ];
    expect(countTargets(metrics)).toEqual({ met: 1, targets: 2 });
  });

  it('prints an info row as info whatever its figure', () => {
    const table = formatTable([
      metric({ benchmark: 'b', name: 'earlier', value: 4, unit: 'x', check: { on: 'value', op: '<=', limit: 3 }, info: true }),
      metric({ benchmark: 'b', name: 'target', value: 4, unit: 'x', check: { on: 'value', op: '<=', limit: 3 } }),
    ]);
    const [, , earlier, target] = table.split('\n');
    expect(earlier).toMatch(/info: was value <= 3\s+info$/);
    expect(target).toMatch(/value <= 3\s+FAIL$/);
  });
});
