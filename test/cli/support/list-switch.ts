import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { paramNotFound, PRIMARY, STANDBY, World } from '../world';

/**
 * A world whose regions hold the list switch `param` (payments, notice channels) in `initial`, as
 * JSON; a region left out has no parameter. `switches` is what each region holds now: PutParameter
 * writes it, GetParameter reads it.
 */
export function listSwitchWorld(
  param: string,
  initial: Record<string, string[]> = { [PRIMARY]: [], [STANDBY]: [] },
): { w: World; switches: Record<string, string> } {
  const w = new World();
  const switches: Record<string, string> = Object.fromEntries(
    Object.entries(initial).map(([r, v]) => [r, JSON.stringify(v)]),
  );
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .ssm.on(GetParameterCommand, { Name: param })
      .callsFake(() => {
        if (switches[r] === undefined) throw paramNotFound();
        return { Parameter: { Name: param, Value: switches[r] } };
      });
    w.m(r)
      .ssm.on(PutParameterCommand, { Name: param })
      .callsFake((input: { Value: string }) => {
        switches[r] = input.Value;
        return { Version: 2 };
      });
  }
  return { w, switches };
}

/** The run's PutParameter calls, region and input, by region name. */
export const puts = (w: World) =>
  w
    .calls()
    .filter((c) => c.command === 'PutParameter')
    .map((c) => ({ region: c.region, input: c.input }))
    .sort((x, y) => x.region.localeCompare(y.region));
