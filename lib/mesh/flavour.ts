import { MeshlabError } from '../errors';

/** The API routing is written in: Istio's (VirtualService, DestinationRule) or the Kubernetes Gateway API's (HTTPRoute). */
export type Api = 'istio' | 'gateway-api';

/** How workloads join the mesh: a sidecar in each pod, or ambient mode (ztunnel, and waypoints for L7). */
export type DataPlaneMode = 'sidecar' | 'ambient';

export const APIS: readonly Api[] = ['istio', 'gateway-api'];
export const MODES: readonly DataPlaneMode[] = ['sidecar', 'ambient'];

/** One way of writing a lab: its routing API and data-plane mode. */
export interface Flavour {
  readonly api: Api;
  readonly mode: DataPlaneMode;
}

/** A flavour meshlab writes, with the folder suffix that sets its output apart. */
export interface NamedFlavour extends Flavour {
  /** `classic`, `gateway-api` or `ambient`. */
  readonly name: string;
  /** Appended to the lab's name for its output folder: `tutorial`, `tutorial-gateway-api`, `tutorial-ambient`. */
  readonly suffix: string;
  /** One line on what the flavour is, for guides and listings. */
  readonly title: string;
}

/**
 * The flavours of every lab, in the order they are written. Ambient mode is written with the
 * Gateway API only: istio.io calls VirtualService on waypoints alpha, and HTTPRoute is the
 * API it documents for ambient (see `checkFlavour`).
 */
export const FLAVOURS: readonly NamedFlavour[] = [
  { name: 'classic', api: 'istio', mode: 'sidecar', suffix: '', title: "Istio's APIs (VirtualService, DestinationRule) with sidecars, as the tutorials teach" },
  { name: 'gateway-api', api: 'gateway-api', mode: 'sidecar', suffix: '-gateway-api', title: "the Kubernetes Gateway API (HTTPRoute to per-version Services) with sidecars" },
  { name: 'ambient', api: 'gateway-api', mode: 'ambient', suffix: '-ambient', title: 'the Kubernetes Gateway API in ambient mode (ztunnel, and a waypoint for L7)' },
];

export const CLASSIC: NamedFlavour = FLAVOURS[0];

/** The flavour of `api` and `mode`; ambient with Istio's APIs is refused in one line. */
export function flavourOf(api: Api, mode: DataPlaneMode): NamedFlavour {
  const found = FLAVOURS.find((f) => f.api === api && f.mode === mode);
  if (!found) {
    throw new MeshlabError(`--api ${api} --mode ${mode} is not supported: VirtualService on ambient waypoints is alpha in Istio; `
      + `use --api gateway-api --mode ambient, or --api istio --mode sidecar`);
  }
  return found;
}

/** The output folder of a lab in a flavour. */
export function flavourFolder(lab: string, flavour: Flavour): string {
  return `${lab}${flavourOf(flavour.api, flavour.mode).suffix}`;
}
