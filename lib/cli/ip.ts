import { isIP } from 'net';

/**
 * Why `ip` cannot be an `externalIPs` address of the ingress gateway, or undefined. It must
 * be a unicast address a client can reach: Kubernetes refuses unspecified, loopback,
 * link-local and link-local multicast external IPs (ValidateNonSpecialIP in
 * kubernetes pkg/apis/core/validation); multicast, broadcast and reserved addresses
 * route to no single node either.
 */
export function ingressIpProblem(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return 'is not an IP address';
  if (family === 4) {
    const [a, b] = ip.split('.').map(Number);
    if (a === 0) return 'is unspecified (0.0.0.0/8); give a unicast address of a node';
    if (a === 127) return 'is a loopback address; give a unicast address of a node';
    if (a === 169 && b === 254) return 'is link-local (169.254.0.0/16); give a unicast address of a node';
    if (a >= 224 && a <= 239) return 'is multicast (224.0.0.0/4); give a unicast address of a node';
    if (a >= 240) return 'is broadcast or reserved (240.0.0.0/4); give a unicast address of a node';
    return undefined;
  }
  if (ip.includes('%')) return 'has a zone (%...); give a unicast address of a node';
  const canonical = canonicalIp(ip);
  if (canonical === '::') return 'is unspecified (::); give a unicast address of a node';
  if (canonical === '::1') return 'is a loopback address; give a unicast address of a node';
  if (/^fe[89ab]/.test(canonical)) return 'is link-local (fe80::/10); give a unicast address of a node';
  if (canonical.startsWith('ff')) return 'is multicast (ff00::/8); give a unicast address of a node';
  return undefined;
}

/** One spelling per address (`2001:DB8:0::1` and `2001:db8::1` are one), for duplicates. */
export function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6 || ip.includes('%')) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
