// gateway-api-crds judges Gateway API objects the way the API server does once the Gateway API
// CRDs are installed, with the apiextensions-apiserver libraries the API server itself uses:
// pruning of unknown fields (rejected, as kubectl's default strict field validation does),
// defaulting, the OpenAPI schema, then the CEL rules (x-kubernetes-validations).
//
// Usage: gateway-api-crds CRD_DIR < objects.json > verdicts.json
// CRD_DIR is config/crd/experimental of the Go module sigs.k8s.io/gateway-api (read in the module
// cache, never copied). objects.json is [{"id": "...", "object": {...}}]; verdicts.json is
// [{"id": "...", "errors": ["..."]}], no errors meaning the API server accepts the object.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

type judge struct {
	internal   *apiextensionsinternal.JSONSchemaProps
	structural *structuralschema.Structural
	schema     validation.SchemaValidator
	cel        *cel.Validator
}

type input struct {
	ID     string                 `json:"id"`
	Object map[string]interface{} `json:"object"`
}

type verdict struct {
	ID     string   `json:"id"`
	Errors []string `json:"errors"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gateway-api-crds: "+format+"\n", args...)
	os.Exit(2)
}

// load reads every CRD of the directory and returns a judge per "group/version/Kind".
func load(dir string) map[string]*judge {
	judges := map[string]*judge{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			fail("%v", err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil || crd.Kind != "CustomResourceDefinition" {
			if os.Getenv("GWCRD_DEBUG") != "" {
				fmt.Fprintln(os.Stderr, file, err)
			}
			continue // kustomization.yaml, the ValidatingAdmissionPolicy
		}
		var internal apiextensionsinternal.CustomResourceDefinition
		if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&crd, &internal, nil); err != nil {
			fail("%s: %v", file, err)
		}
		for _, v := range internal.Spec.Versions {
			// The internal form keeps one top-level schema when every version has the same one.
			schemaOf := internal.Spec.Validation
			if v.Schema != nil {
				schemaOf = v.Schema
			}
			if schemaOf == nil || schemaOf.OpenAPIV3Schema == nil {
				continue
			}
			props := schemaOf.OpenAPIV3Schema
			s, err := structuralschema.NewStructural(props)
			if err != nil {
				fail("%s %s: %v", file, v.Name, err)
			}
			validator, _, err := validation.NewSchemaValidator(props)
			if err != nil {
				fail("%s %s: %v", file, v.Name, err)
			}
			key := internal.Spec.Group + "/" + v.Name + "/" + internal.Spec.Names.Kind
			judges[key] = &judge{internal: props, structural: s, schema: validator, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
		}
	}
	return judges
}

func (j *judge) check(obj map[string]interface{}) []string {
	var errs []string
	unknown := structuralpruning.PruneWithOptions(obj, j.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		errs = append(errs, "unknown field "+path)
	}
	structuraldefaulting.Default(obj, j.structural)
	var list field.ErrorList
	list = append(list, validation.ValidateCustomResource(nil, obj, j.schema)...)
	if j.cel != nil {
		celErrs, _ := j.cel.Validate(context.Background(), nil, j.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		list = append(list, celErrs...)
	}
	for _, e := range list {
		errs = append(errs, e.Error())
	}
	return errs
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: gateway-api-crds CRD_DIR < objects.json")
	}
	judges := load(os.Args[1])
	// Numbers decode as int64 where integral, as the API server decodes a request body.
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading objects: %v", err)
	}
	var inputs []input
	if err := utiljson.Unmarshal(data, &inputs); err != nil {
		fail("reading objects: %v", err)
	}
	out := make([]verdict, 0, len(inputs))
	for _, in := range inputs {
		apiVersion, _ := in.Object["apiVersion"].(string)
		kind, _ := in.Object["kind"].(string)
		j := judges[apiVersion+"/"+kind]
		if j == nil {
			out = append(out, verdict{ID: in.ID, Errors: []string{"no CRD serves " + apiVersion + " " + kind}})
			continue
		}
		errs := j.check(in.Object)
		if errs == nil {
			errs = []string{}
		}
		out = append(out, verdict{ID: in.ID, Errors: errs})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
}
