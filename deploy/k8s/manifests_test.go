// Package k8s holds the Kubernetes manifests of deploy/k8s and their test,
// in a module of its own so that the Kubernetes API types it decodes them
// into stay out of drumsplit's go.mod.
package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// typeMeta is what every manifest starts with.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// decode decodes one manifest strictly into the API type of its kind: an
// unknown (misspelt) or duplicated field is an error. Field names match
// case-sensitively, as the API server matches them (sigs.k8s.io/json):
// sigs.k8s.io/yaml's UnmarshalStrict, on encoding/json, would take
// "completionmode" for completionMode, which the server rejects. The YAML
// is converted with YAMLToJSONStrict, which refuses duplicated keys.
func decode(data []byte) (any, error) {
	var tm typeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch k := tm.APIVersion + " " + tm.Kind; k {
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		return nil, fmt.Errorf("unexpected kind %q", k)
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	strict, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	return obj, nil
}

// manifests decodes every *.yaml file here.
func manifests(t *testing.T) (jobs []*batchv1.Job, pvcs []*corev1.PersistentVolumeClaim) {
	t.Helper()
	names, err := filepath.Glob("*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			obj, err := decode(doc)
			if err != nil {
				t.Fatalf("%s, document %d: %v", name, i+1, err)
			}
			switch o := obj.(type) {
			case *batchv1.Job:
				jobs = append(jobs, o)
			case *corev1.PersistentVolumeClaim:
				pvcs = append(pvcs, o)
			}
		}
	}
	return jobs, pvcs
}

// TestManifests decodes the manifests strictly and checks what the
// Indexed Job must say for drumsplit's shards to cover the catalogue and
// for retries to be safe.
func TestManifests(t *testing.T) {
	jobs, pvcs := manifests(t)
	if len(jobs) != 1 || len(pvcs) != 1 {
		t.Fatalf("%d Jobs and %d claims, want 1 and 1", len(jobs), len(pvcs))
	}
	job, pvc := jobs[0], pvcs[0]
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism < 1 || *s.Parallelism > *s.Completions {
		t.Fatalf("completions %v, parallelism %v: want both, parallelism 1 to completions", s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil && s.BackoffLimit == nil {
		t.Error("neither backoffLimitPerIndex nor backoffLimit is set")
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q, want Never (backoffLimitPerIndex and podFailurePolicy need it)", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	args := strings.Join(c.Args, " ")
	m := regexp.MustCompile(`--shard \$\(JOB_COMPLETION_INDEX\)/(\d+)( |$)`).FindStringSubmatch(args)
	if m == nil {
		t.Fatalf("args %q lack --shard $(JOB_COMPLETION_INDEX)/N", args)
	}
	if n, _ := strconv.Atoi(m[1]); int32(n) != *s.Completions {
		t.Errorf("--shard .../%d but completions %d: shards would be missed or fail", n, *s.Completions)
	}
	if c.Args[0] != "separate" || !slices.Contains(c.Args, "--skip-existing") || !slices.Contains(c.Args, "--json") {
		t.Errorf("args %q: want separate with --skip-existing (idempotent retries) and --json (for drumsplit summary)", c.Args)
	}
	if gpu := c.Resources.Limits["nvidia.com/gpu"]; gpu.Value() != 1 {
		t.Errorf("nvidia.com/gpu limit %v, want 1", gpu.String())
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			t.Errorf("volume mount %q names no volume", vm.Name)
			continue
		}
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name &&
			strings.Contains(args, " "+vm.MountPath+"/") {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("no mount of the claim %q that the args read or write under", pvc.Name)
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("claim access modes %v: every pod mounts it at once, want ReadWriteMany", pvc.Spec.AccessModes)
	}
}

// TestStrictDecoding: a misspelt field, in the Job's spec or deep in its
// pod template, fails the decoding that TestManifests relies on.
func TestStrictDecoding(t *testing.T) {
	data, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(data); err != nil {
		t.Fatalf("job.yaml: %v", err)
	}
	for _, c := range [][2]string{
		{"  parallelism:", "  paralellism:"},
		{"restartPolicy:", "restartpolicy:"},
		{"completionMode:", "completionmode:"},
		{"claimName:", "claimname:"},
		{"mountPath:", "mountpath:"},
	} {
		bad := bytes.Replace(data, []byte(c[0]), []byte(c[1]), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("job.yaml has no %q", c[0])
		}
		if _, err := decode(bad); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%q misspelt %q: decoding error %v, want unknown field", c[0], c[1], err)
		}
	}
}
