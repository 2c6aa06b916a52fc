/** What a person can change about the platform: read by the platform and by its guide. */

export type OutboundTrafficPolicy = 'ALLOW_ANY' | 'REGISTRY_ONLY';

export interface PlatformProps {
  /**
   * Addresses of lab nodes the ingress gateway Service answers on (the seed's `kubectl edit`
   * of `spec.externalIPs`), for clusters without a load balancer. @default none
   */
  readonly ingressExternalIPs?: readonly string[];
  /** What sidecars do with traffic to hosts outside the registry. @default 'ALLOW_ANY' (REGISTRY_ONLY for the egress lab) */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
}
