// istio-analyze runs Istio's analyzers on manifest files as `istioctl analyze` runs them on a
// live cluster that holds those objects, and prints the messages as `istioctl analyze -o json`.
//
// `istioctl analyze --use-kube=false FILES` reads only Istio's kinds and Deployments from files:
// it drops Services, Namespaces, Pods, Nodes and Secrets (istio/istio
// pkg/config/analysis/local/istiod_analyze.go, addReaderKubeSourceInternal, with
// pkg/config/analysis/legacy/util/kuberesource/resources.go), and every analyzer that needs one
// of them is skipped. AddTestReaderKubeSource is the same reader with those kinds kept, as
// Istio's own analyzer tests feed them.
//
// Usage: istio-analyze [--suppress CODE=RESOURCE]... PATH...
// npm run verify:istio builds it (with go build against istio.io/istio at the version istioctl
// is built from) and runs it; it is not part of the app.
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"istio.io/istio/istioctl/pkg/util/formatting"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/log"
)

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	var suppress repeated
	flag.Var(&suppress, "suppress", "CODE=Kind name.namespace (repeatable)")
	flag.Parse()
	// Istio's log goes to stderr, so stdout is the JSON alone.
	logOptions := log.DefaultOptions()
	logOptions.OutputPaths = []string{"stderr"}
	_ = log.Configure(logOptions)

	// Every namespace (as istioctl analyze -A), Istio in istio-system.
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace("istio-system"), nil)
	var suppressions []local.AnalysisSuppression
	for _, s := range suppress {
		code, name, ok := strings.Cut(s, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "error: --suppress %q is not CODE=RESOURCE\n", s)
			os.Exit(2)
		}
		suppressions = append(suppressions, local.AnalysisSuppression{Code: code, ResourceName: name})
	}
	sa.SetSuppressions(suppressions)

	var readers []local.ReaderSource
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(path) {
			case ".yaml", ".yml", ".json":
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				readers = append(readers, local.ReaderSource{Name: path, Reader: f})
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(2)
		}
	}
	if err := sa.AddTestReaderKubeSource(readers); err != nil {
		fmt.Fprintf(os.Stderr, "Error(s) adding files: %v\n", err)
	}
	result, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
	out, err := formatting.Print(*result.Messages.SetDocRef("istioctl-analyze"), formatting.JSONFormat, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(out)
}
