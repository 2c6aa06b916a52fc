/**
 * Istio picks a port's protocol from its name (`<protocol>[-<suffix>]`) or its appProtocol.
 * @see https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
 */
export enum Protocol {
  HTTP = 'http',
  HTTP2 = 'http2',
  HTTPS = 'https',
  GRPC = 'grpc',
  TCP = 'tcp',
  TLS = 'tls',
  REDIS = 'redis',
}

const PREFIXES = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'udp', 'mongo', 'mysql', 'redis'];

/** True when Istio's protocol selection recognises the port name. */
export function isIstioPortName(name: string): boolean {
  return PREFIXES.some((p) => name === p || name.startsWith(`${p}-`));
}

/** True for protocols whose routes go in a VirtualService's `http` list. */
export function isHttpProtocol(protocol: Protocol): boolean {
  return protocol === Protocol.HTTP || protocol === Protocol.HTTP2 || protocol === Protocol.GRPC;
}
