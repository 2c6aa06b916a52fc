// The CLI catalog and the lab presets are typed from the scenarios' parameters: `npm test`
// runs tsc over this file, so each @ts-expect-error below fails the build if the mistake it
// marks ever type-checks (a misspelled preset key or parameter would be silently ignored).
import { canary, retry, route } from '../lib/scenarios/catalog';
import { preset, resolveSelection } from '../lib/scenarios/engine';
import { LABS } from '../lib/labs';

describe('presets and parameters are typed', () => {
  test('a preset names only parameters its scenario has', () => {
    const ok = preset({ scenario: canary, defaults: { service: 'web', weights: 'v1:90,v2:10' } });
    // @ts-expect-error a misspelled preset key fails tsc
    const misspelled = preset({ scenario: canary, defaults: { service: 'web', weigths: 'v1:90,v2:10' } });
    // @ts-expect-error a preset default is text in the command line's syntax, not a number
    const notText = preset({ scenario: retry, defaults: { service: 'web', attempts: 3 } });
    expect([ok, misspelled, notText].map((p) => p.scenario.name)).toEqual(['canary', 'canary', 'retry']);
  });

  test("a scenario's values are typed from its parameters", () => {
    type RouteValues = Parameters<typeof route.expect>[0];
    const ok = (v: RouteValues) => `${v.service.name} ${v.version.subset}`;
    // @ts-expect-error a misspelled parameter fails tsc
    const misspelled = (v: RouteValues) => v.versoin.name;
    // @ts-expect-error an optional parameter may be undefined: its value must be checked before use
    const unchecked = (v: Parameters<typeof retry.expect>[0]) => v.abort.toFixed();
    expect([ok, misspelled, unchecked].every((f) => typeof f === 'function')).toBe(true);
    expect(Object.keys(route.params)).toEqual(['service', 'version']);
  });

  test('a misspelled --set parameter is refused at run time in one line naming the ones there are', () => {
    const tutorial = LABS.find((l) => l.name === 'tutorial')!;
    expect(() => resolveSelection('tutorial', tutorial.scenarios, { scenarios: ['canary'], set: { 'canary.weigths': 'v1:50,v2:50' } }))
      .toThrow('--set canary.weigths: scenario canary has no parameter weigths (parameters: service, weights)');
  });
});
