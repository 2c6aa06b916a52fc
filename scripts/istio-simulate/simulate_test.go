// Istio's own routing simulation, run over meshlab's labs (npm run verify:simulation).
//
// A test program, because Istio's simulation takes a *testing.T: for each configuration of
// the input (a lab with one step applied, as kubectl would leave it), istiod's configuration
// generator runs in-process (pilot/test/xds FakeDiscoveryServer); for each proxy (a sidecar, or
// a gateway) the simulation (pilot/pkg/simulation) matches each call to a listener, a filter
// chain, a virtual host and a route; the matched Envoy route is read back for what it does
// (clusters and weights, timeout, retries, fault, mirrors). Built with `go test -c` against the
// istio.io/istio module verify:istio uses, and run with
//
//	MESHLAB_SIMULATE_IN=cases.json MESHLAB_SIMULATE_OUT=results.json ./istio-simulate -test.run TestSimulate
package simulate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	fault "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	httpupstream "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pilot/test/xdstest"
	"istio.io/istio/pkg/test"
)

// Input is what the TypeScript side asks: configurations, each with its proxies and their calls.
type Input struct {
	Configs []Config `json:"configs"`
}

// Config is one state of a cluster: every object of a lab with one step applied.
type Config struct {
	ID      string  `json:"id"`
	YAML    string  `json:"yaml"`
	Ambient bool    `json:"ambient"`
	Proxies []Proxy `json:"proxies"`
}

// Proxy is a workload whose generated configuration is simulated: a sidecar or a gateway.
type Proxy struct {
	ID        string            `json:"id"`
	Router    bool              `json:"router"`
	Waypoint  bool              `json:"waypoint"`
	IP        string            `json:"ip"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	Calls     []Call            `json:"calls"`
}

// Call is one request the proxy routes.
type Call struct {
	ID      string            `json:"id"`
	Address string            `json:"address"`
	Port    int               `json:"port"`
	Host    string            `json:"host"`
	FQDN    string            `json:"fqdn"`
	Path    string            `json:"path"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	TCP     bool              `json:"tcp"`
}

// Weighted is one cluster of a route, with its weight.
type Weighted struct {
	Cluster string `json:"cluster"`
	Weight  uint32 `json:"weight"`
}

// Result is what the simulation matched for one call, and what the matched route does.
type Result struct {
	Config      string     `json:"config"`
	Proxy       string     `json:"proxy"`
	Call        string     `json:"call"`
	Error       string     `json:"error,omitempty"`
	Listener    string     `json:"listener,omitempty"`
	VirtualHost string     `json:"virtualHost,omitempty"`
	Route       string     `json:"route,omitempty"`
	Origin      string     `json:"origin,omitempty"`
	Position    int        `json:"position"`
	Unjudged    string     `json:"unjudged,omitempty"`
	Clusters    []Weighted `json:"clusters,omitempty"`
	Direct      uint32     `json:"directResponse,omitempty"`
	Redirect    bool       `json:"redirect,omitempty"`
	Timeout     string     `json:"timeout,omitempty"`
	Retry       *Retry     `json:"retry,omitempty"`
	Fault       *Fault     `json:"fault,omitempty"`
	Mirrors     []Mirror   `json:"mirrors,omitempty"`
	// What each cluster the route sends to is set to (DestinationRule traffic policies).
	ClusterSettings map[string]ClusterSettings `json:"clusterSettings,omitempty"`
}

// ClusterSettings is what a DestinationRule's traffic policy becomes on an Envoy cluster.
type ClusterSettings struct {
	ConnectTimeoutMs         int64   `json:"connectTimeoutMs,omitempty"`
	LbPolicy                 string  `json:"lbPolicy,omitempty"`
	MaxConnections           *uint32 `json:"maxConnections,omitempty"`
	MaxPendingRequests       *uint32 `json:"maxPendingRequests,omitempty"`
	MaxRequests              *uint32 `json:"maxRequests,omitempty"`
	MaxRetries               *uint32 `json:"maxRetries,omitempty"`
	MaxRequestsPerConnection *uint32 `json:"maxRequestsPerConnection,omitempty"`
	Consecutive5xx           *uint32 `json:"consecutive5xx,omitempty"`
	IntervalMs               int64   `json:"intervalMs,omitempty"`
	BaseEjectionTimeMs       int64   `json:"baseEjectionTimeMs,omitempty"`
	MaxEjectionPercent       *uint32 `json:"maxEjectionPercent,omitempty"`
}

// Retry is the route's retry policy as Envoy receives it.
type Retry struct {
	RetryOn       string `json:"retryOn"`
	NumRetries    uint32 `json:"numRetries"`
	PerTryTimeout string `json:"perTryTimeout,omitempty"`
}

// Fault is Envoy's HTTP fault filter configuration on the route.
type Fault struct {
	DelayMs      int64   `json:"delayMs,omitempty"`
	DelayPercent float64 `json:"delayPercent,omitempty"`
	AbortStatus  uint32  `json:"abortStatus,omitempty"`
	AbortPercent float64 `json:"abortPercent,omitempty"`
}

// Mirror is one request mirror policy of the route.
type Mirror struct {
	Cluster string  `json:"cluster"`
	Percent float64 `json:"percent"`
}

func TestSimulate(t *testing.T) {
	in, out := os.Getenv("MESHLAB_SIMULATE_IN"), os.Getenv("MESHLAB_SIMULATE_OUT")
	if in == "" || out == "" {
		t.Skip("MESHLAB_SIMULATE_IN and MESHLAB_SIMULATE_OUT name the cases and the results")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var input Input
	if err := json.Unmarshal(raw, &input); err != nil {
		t.Fatal(err)
	}
	results := []Result{}
	for _, c := range input.Configs {
		results = append(results, simulateConfig(t, c)...)
	}
	written, err := json.Marshal(map[string]any{"results": results})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, written, 0o644); err != nil {
		t.Fatal(err)
	}
}

func simulateConfig(t *testing.T, c Config) []Result {
	results := []Result{}
	t.Run(c.ID, func(t *testing.T) {
		if c.Ambient {
			// istiod's ambient index (PILOT_ENABLE_AMBIENT, which the ambient profile sets), which binds
			// Services to their waypoint; pilot/pkg/xds's own waypoint tests set it likewise.
			test.SetForTest(t, &features.EnableAmbient, true)
		}
		configs, _, err := crd.ParseInputs(c.YAML)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		// Short hosts resolve against the config's domain (pilot/pkg/model/config.go
		// ResolveShortnameToFQDN); istiod's kube controller sets it, ParseInputs leaves it empty.
		for i := range configs {
			configs[i].Domain = "cluster.local"
		}
		// The Gateway API objects reach Istio's gateway controller through the kube client, as
		// pilot/pkg/networking/core/sidecar_simulation_test.go passes them.
		s := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{Configs: configs, KubernetesObjectString: c.YAML})
		for _, p := range c.Proxies {
			proxy := &model.Proxy{ConfigNamespace: p.Namespace, Labels: p.Labels, Metadata: &model.NodeMetadata{Namespace: p.Namespace, Labels: p.Labels}}
			if p.Router {
				proxy.Type = model.Router
			}
			if p.Waypoint {
				proxy.Type = model.Waypoint
			}
			if p.IP != "" {
				// A gateway's pod: the endpoint of the Service whose Istio Gateways it takes.
				proxy.IPAddresses = []string{p.IP}
			}
			sim := simulation.NewSimulation(t, s, s.SetupProxy(proxy))
			routes := xdstest.ExtractRouteConfigurations(sim.Routes)
			for _, call := range p.Calls {
				results = append(results, simulateCall(t, sim, routes, c.ID, p, call))
			}
		}
	})
	return results
}

func simulateCall(t *testing.T, sim *simulation.Simulation, routes map[string]*route.RouteConfiguration, config string, p Proxy, call Call) Result {
	res := Result{Config: config, Proxy: p.ID, Call: call.ID}
	if p.Waypoint {
		return waypointCall(t, sim, res, call)
	}
	headers := http.Header{}
	for k, v := range call.Headers {
		headers.Set(k, v)
	}
	mode := simulation.CallModeOutbound
	if p.Router {
		mode = simulation.CallModeGateway
	}
	protocol := simulation.HTTP
	if call.TCP {
		protocol = simulation.TCP
	}
	got := sim.Run(simulation.Call{
		Address: call.Address, Port: call.Port, Path: call.Path, HostHeader: call.Host, Headers: headers,
		Protocol: protocol, CallMode: mode,
	})
	res.Listener = got.ListenerMatched
	res.VirtualHost = got.VirtualHostMatched
	res.Route = got.RouteMatched
	if got.Error != nil {
		res.Error = got.Error.Error()
		if got.Error == simulation.ErrNoListener {
			names := []string{}
			for _, l := range sim.Listeners {
				names = append(names, l.GetName())
			}
			res.Error += fmt.Sprintf(" (the proxy has %d listener(s): %v)", len(names), names)
		}
		return res
	}
	if call.TCP {
		res.Clusters = []Weighted{{Cluster: got.ClusterMatched, Weight: 1}}
		tcp := tcpProxyWeights(t, sim, got)
		if len(tcp) > 0 {
			res.Clusters = tcp
		}
		return res
	}
	vh := findVirtualHost(routes[got.RouteConfigMatched], got.VirtualHostMatched)
	if vh == nil {
		res.Error = fmt.Sprintf("virtual host %s not found in route configuration %s", got.VirtualHostMatched, got.RouteConfigMatched)
		return res
	}
	var matched *route.Route
	for i, r := range vh.Routes {
		// The simulation matches routes by path only (pilot/pkg/simulation/traffic.go matchRoute:
		// "this only handles path"): a route before it, or it, that also needs headers or query
		// parameters may not be the one Envoy takes.
		if len(r.GetMatch().GetHeaders()) > 0 || len(r.GetMatch().GetQueryParameters()) > 0 {
			res.Unjudged = "the routes match headers or query parameters, which the simulation does not evaluate (pilot/pkg/simulation/traffic.go matchRoute matches paths only)"
		}
		if pathMatches(r.GetMatch(), call.Path) {
			matched = r
			res.Position = positionInConfig(vh, i)
			break
		}
	}
	if matched == nil || matched.Name != got.RouteMatched {
		res.Error = "the route the simulation matched is not found in its virtual host"
		return res
	}
	res.Origin = originOf(matched)
	describeRoute(t, matched, &res)
	res.ClusterSettings = settingsOf(t, sim, res.Clusters)
	return res
}

// settingsOf reads the named clusters of the proxy's configuration: connect timeout, load
// balancer, circuit breaker thresholds, requests per connection and outlier detection.
func settingsOf(t *testing.T, sim *simulation.Simulation, weighted []Weighted) map[string]ClusterSettings {
	out := map[string]ClusterSettings{}
	for _, w := range weighted {
		for _, c := range sim.Clusters {
			if c.GetName() != w.Cluster {
				continue
			}
			cs := ClusterSettings{ConnectTimeoutMs: c.GetConnectTimeout().AsDuration().Milliseconds(), LbPolicy: c.GetLbPolicy().String()}
			if th := c.GetCircuitBreakers().GetThresholds(); len(th) > 0 {
				cs.MaxConnections = optional(th[0].GetMaxConnections())
				cs.MaxPendingRequests = optional(th[0].GetMaxPendingRequests())
				cs.MaxRequests = optional(th[0].GetMaxRequests())
				cs.MaxRetries = optional(th[0].GetMaxRetries())
			}
			if raw, ok := c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]; ok {
				opts := &httpupstream.HttpProtocolOptions{}
				if err := raw.UnmarshalTo(opts); err != nil {
					t.Fatal(err)
				}
				cs.MaxRequestsPerConnection = optional(opts.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection())
			}
			if od := c.GetOutlierDetection(); od != nil {
				cs.Consecutive5xx = optional(od.GetConsecutive_5Xx())
				cs.IntervalMs = od.GetInterval().AsDuration().Milliseconds()
				cs.BaseEjectionTimeMs = od.GetBaseEjectionTime().AsDuration().Milliseconds()
				cs.MaxEjectionPercent = optional(od.GetMaxEjectionPercent())
			}
			out[w.Cluster] = cs
		}
	}
	return out
}

// optional is a protobuf UInt32Value's value, or nil when it is unset.
func optional(v *wrapperspb.UInt32Value) *uint32 {
	if v == nil {
		return nil
	}
	x := v.GetValue()
	return &x
}

// waypointCall routes a call at a waypoint. The simulation cannot match a waypoint's listener
// (traffic.go matchListener knows socket addresses, and the waypoint's main_internal listener is an
// internal one whose filter chains a FilterChainMatcher picks by the Service VIP), so the chain is
// taken by the name istiod gives it, inbound-vip|<port>|http|<host> (listener_waypoint.go
// buildWaypointInternal, BuildSubsetKey), and its route by the simulation's path test.
func waypointCall(t *testing.T, sim *simulation.Simulation, res Result, call Call) Result {
	l := xdstest.ExtractListener("main_internal", sim.Listeners)
	if l == nil {
		res.Error = "the waypoint has no main_internal listener"
		return res
	}
	res.Listener = l.GetName()
	kind := "http"
	if call.TCP {
		kind = "tcp"
	}
	chain := fmt.Sprintf("inbound-vip|%d|%s|%s", call.Port, kind, call.FQDN)
	for _, fc := range l.GetFilterChains() {
		if fc.GetName() != chain {
			continue
		}
		if call.TCP {
			if tcp := xdstest.ExtractTCPProxy(t, fc); tcp != nil {
				res.Clusters = []Weighted{{Cluster: tcp.GetCluster(), Weight: 1}}
				if wc := tcp.GetWeightedClusters(); wc != nil {
					res.Clusters = nil
					for _, c := range wc.GetClusters() {
						res.Clusters = append(res.Clusters, Weighted{Cluster: c.GetName(), Weight: c.GetWeight()})
					}
				}
			}
			return res
		}
		hcm := xdstest.ExtractHTTPConnectionManager(t, fc)
		vhs := hcm.GetRouteConfig().GetVirtualHosts()
		if len(vhs) == 0 {
			res.Error = "the waypoint's chain has no virtual host"
			return res
		}
		vh := vhs[0]
		res.VirtualHost = vh.GetName()
		for i, r := range vh.Routes {
			if len(r.GetMatch().GetHeaders()) > 0 || len(r.GetMatch().GetQueryParameters()) > 0 {
				res.Unjudged = "the routes match headers or query parameters, which the simulation does not evaluate (pilot/pkg/simulation/traffic.go matchRoute matches paths only)"
			}
			if pathMatches(r.GetMatch(), call.Path) {
				res.Route = r.GetName()
				res.Position = positionInConfig(vh, i)
				res.Origin = originOf(r)
				describeRoute(t, r, &res)
				res.ClusterSettings = settingsOf(t, sim, res.Clusters)
				return res
			}
		}
		res.Error = "no route of the waypoint's chain matches the path"
		return res
	}
	names := []string{}
	for _, fc := range l.GetFilterChains() {
		names = append(names, fc.GetName())
	}
	res.Error = fmt.Sprintf("the waypoint has no filter chain %s (it has %v)", chain, names)
	return res
}

// pathMatches is the simulation's own test of a route (pilot/pkg/simulation/traffic.go
// matchRoute, which returns only the route's name, and Istio leaves a VirtualService route's
// name empty): the first route whose path matches is the one it matched.
func pathMatches(m *route.RouteMatch, path string) bool {
	switch pt := m.GetPathSpecifier().(type) {
	case *route.RouteMatch_Prefix:
		return strings.HasPrefix(path, pt.Prefix)
	case *route.RouteMatch_PathSeparatedPrefix:
		return strings.HasPrefix(path, pt.PathSeparatedPrefix)
	case *route.RouteMatch_Path:
		return path == pt.Path
	case *route.RouteMatch_SafeRegex:
		re, err := regexp.Compile(pt.SafeRegex.GetRegex())
		return err == nil && re.MatchString(path)
	}
	return false
}

// positionInConfig counts the routes before index i made from the same Istio object: the route's
// place in its VirtualService (or HTTPRoute), from 1.
func positionInConfig(vh *route.VirtualHost, i int) int {
	origin := originOf(vh.Routes[i])
	n := 1
	for _, r := range vh.Routes[:i] {
		if originOf(r) == origin {
			n++
		}
	}
	return n
}

// originOf is the Istio object a route was made from: Istio's config metadata
// (pilot/pkg/networking/util BuildConfigInfoMetadata), `/apis/<group>/<version>/namespaces/<ns>/<kind>/<name>`.
func originOf(r *route.Route) string {
	md := r.GetMetadata().GetFilterMetadata()["istio"]
	if md == nil {
		return ""
	}
	return md.GetFields()["config"].GetStringValue()
}

func describeRoute(t *testing.T, r *route.Route, res *Result) {
	switch action := r.GetAction().(type) {
	case *route.Route_Route:
		ra := action.Route
		if wc := ra.GetWeightedClusters(); wc != nil {
			for _, c := range wc.GetClusters() {
				res.Clusters = append(res.Clusters, Weighted{Cluster: c.GetName(), Weight: c.GetWeight().GetValue()})
			}
		} else {
			res.Clusters = []Weighted{{Cluster: ra.GetCluster(), Weight: 100}}
		}
		if ra.GetTimeout() != nil {
			res.Timeout = ra.GetTimeout().AsDuration().String()
		}
		if rp := ra.GetRetryPolicy(); rp != nil {
			res.Retry = &Retry{RetryOn: rp.GetRetryOn(), NumRetries: rp.GetNumRetries().GetValue()}
			if rp.GetPerTryTimeout() != nil {
				res.Retry.PerTryTimeout = rp.GetPerTryTimeout().AsDuration().String()
			}
		}
		for _, m := range ra.GetRequestMirrorPolicies() {
			res.Mirrors = append(res.Mirrors, Mirror{Cluster: m.GetCluster(), Percent: fractionPercent(m.GetRuntimeFraction().GetDefaultValue())})
		}
	case *route.Route_DirectResponse:
		res.Direct = action.DirectResponse.GetStatus()
	case *route.Route_Redirect:
		res.Redirect = true
	}
	if cfg, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.fault"]; ok {
		f := &fault.HTTPFault{}
		if err := cfg.UnmarshalTo(f); err != nil {
			t.Fatal(err)
		}
		res.Fault = &Fault{}
		if d := f.GetDelay(); d != nil {
			res.Fault.DelayMs = d.GetFixedDelay().AsDuration().Milliseconds()
			res.Fault.DelayPercent = fractionPercent(d.GetPercentage())
		}
		if a := f.GetAbort(); a != nil {
			res.Fault.AbortStatus = a.GetHttpStatus()
			res.Fault.AbortPercent = fractionPercent(a.GetPercentage())
		}
	}
}

// fractionPercent is Envoy's FractionalPercent as a percentage; a missing one is 100% where
// Envoy reads it so for mirrors (route_components.proto runtime_fraction: default 100%).
func fractionPercent(f *typev3.FractionalPercent) float64 {
	if f == nil {
		return 100
	}
	den := map[typev3.FractionalPercent_DenominatorType]float64{
		typev3.FractionalPercent_HUNDRED:      100,
		typev3.FractionalPercent_TEN_THOUSAND: 10000,
		typev3.FractionalPercent_MILLION:      1000000,
	}[f.GetDenominator()]
	return float64(f.GetNumerator()) * 100 / den
}

func findVirtualHost(rc *route.RouteConfiguration, name string) *route.VirtualHost {
	for _, vh := range rc.GetVirtualHosts() {
		if vh.GetName() == name {
			return vh
		}
	}
	return nil
}

// tcpProxyWeights reads the TCP proxy's weighted clusters of the matched filter chain, which the
// simulation's ClusterMatched leaves empty.
func tcpProxyWeights(t *testing.T, sim *simulation.Simulation, got simulation.Result) []Weighted {
	l := xdstest.ExtractListener(got.ListenerMatched, sim.Listeners)
	if l == nil {
		return nil
	}
	for _, fc := range l.GetFilterChains() {
		if fc.GetName() != got.FilterChainMatched {
			continue
		}
		tcp := xdstest.ExtractTCPProxy(t, fc)
		if tcp == nil || tcp.GetWeightedClusters() == nil {
			return nil
		}
		out := []Weighted{}
		for _, c := range tcp.GetWeightedClusters().GetClusters() {
			out = append(out, Weighted{Cluster: c.GetName(), Weight: c.GetWeight()})
		}
		return out
	}
	return nil
}

