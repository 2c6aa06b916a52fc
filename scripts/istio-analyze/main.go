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
// or:    istio-analyze [--suppress CODE=RESOURCE]... --each DIR...
// The first form analyzes every file under the PATHs together and prints the messages. The second
// analyzes each DIR on its own, in one process (starting this 100 MB program costs more than an
// analysis), and prints one JSON object: per DIR, its messages and the errors reading its files.
// npm run verify:istio builds it (with go build against istio.io/istio at the version istioctl
// is built from) and runs it; it is not part of the app.
package main

import (
	"encoding/json"
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

// analyze runs the analyzers over the files under roots, as one cluster holds them. It returns
// the messages as istioctl analyze -o json prints them and the errors reading the files.
func analyze(roots []string, suppressions []local.AnalysisSuppression) (string, string, error) {
	// Every namespace (as istioctl analyze -A), Istio in istio-system.
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace("istio-system"), nil)
	sa.SetSuppressions(suppressions)
	var readers []local.ReaderSource
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, root := range roots {
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
				files = append(files, f)
				readers = append(readers, local.ReaderSource{Name: path, Reader: f})
			}
			return nil
		})
		if err != nil {
			return "", "", err
		}
	}
	var readErrors string
	if err := sa.AddTestReaderKubeSource(readers); err != nil {
		readErrors = fmt.Sprintf("Error(s) adding files: %v", err)
	}
	stop := make(chan struct{})
	defer close(stop)
	result, err := sa.Analyze(stop)
	if err != nil {
		return "", readErrors, err
	}
	out, err := formatting.Print(*result.Messages.SetDocRef("istioctl-analyze"), formatting.JSONFormat, false)
	return out, readErrors, err
}

// each is one DIR's result in the --each form.
type each struct {
	Messages json.RawMessage `json:"messages"`
	Errors   string          `json:"errors"`
}

func main() {
	var suppress repeated
	flag.Var(&suppress, "suppress", "CODE=Kind name.namespace (repeatable)")
	eachDir := flag.Bool("each", false, "analyze each DIR on its own and print a JSON object keyed by DIR")
	flag.Parse()
	// Istio's log goes to stderr, so stdout is the JSON alone.
	logOptions := log.DefaultOptions()
	logOptions.OutputPaths = []string{"stderr"}
	_ = log.Configure(logOptions)

	var suppressions []local.AnalysisSuppression
	for _, s := range suppress {
		code, name, ok := strings.Cut(s, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "error: --suppress %q is not CODE=RESOURCE\n", s)
			os.Exit(2)
		}
		suppressions = append(suppressions, local.AnalysisSuppression{Code: code, ResourceName: name})
	}

	if !*eachDir {
		out, readErrors, err := analyze(flag.Args(), suppressions)
		if readErrors != "" {
			fmt.Fprintln(os.Stderr, readErrors)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
		fmt.Println(out)
		return
	}
	results := map[string]each{}
	for _, dir := range flag.Args() {
		out, readErrors, err := analyze([]string{dir}, suppressions)
		if err != nil {
			results[dir] = each{Messages: json.RawMessage("[]"), Errors: strings.TrimSpace(readErrors + " error: " + err.Error())}
			continue
		}
		results[dir] = each{Messages: json.RawMessage(out), Errors: readErrors}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
