package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestGenerated fails when a generated file of package torch differs from
// what abigen writes now: after a change to the C ABI's header or to the
// exported API of the cgo files, run `go generate ./torch`.
func TestGenerated(t *testing.T) {
	dir := filepath.Join("..", "..")
	files, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v: run `go generate ./torch`", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("torch/%s is out of date: run `go generate ./torch`", name)
		}
	}
}

func TestParseHeader(t *testing.T) {
	const src = `
#define DS_API __attribute__((visibility("default")))
/* a comment naming DS_API int ds_fake(void); */
// DS_API int ds_fake2(void);
DS_API int ds_count(void);
DS_API const char *ds_name(const ds_module *m,
                           char *buf, size_t   buflen);
DS_API void ds_free(ds_module *m); /* trailing */
DS_API ds_status ds_run(const int64_t *const *shapes, int flags);
`
	got, err := parseHeader(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []cFunc{
		{ret: "int", name: "count"},
		{ret: "const char *", name: "name", params: []cParam{{"const ds_module *", "m"}, {"char *", "buf"}, {"size_t", "buflen"}}},
		{ret: "void", name: "free", params: []cParam{{"ds_module *", "m"}}},
		{ret: "ds_status", name: "run", params: []cParam{{"const int64_t *const *", "shapes"}, {"int", "flags"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseHeader =\n%+v\nwant\n%+v", got, want)
	}
	if d := got[1].decl("dsg_name"); d != "const char *dsg_name(const ds_module *m, char *buf, size_t buflen)" {
		t.Errorf("decl = %q", d)
	}
	c := string(shimC(got))
	for _, w := range []string{
		"\tvoid (*free)(ds_module *m);",
		`{"ds_count", (void **)&ds.count},`,
		"void dsg_free(ds_module *m) { ds.free(m); }",
		"int dsg_count(void) { return ds.count(); }",
	} {
		if !strings.Contains(c, w) {
			t.Errorf("shim_gen.c lacks %q:\n%s", w, c)
		}
	}

	for _, bad := range []string{
		"DS_API int ds_x(int);",          // a parameter without a name
		"DS_API int ds_x(void)",          // no semicolon
		"DS_API int not_prefixed(void);", // not a ds_ function
		"int ds_x(void);",                // no DS_API at all
	} {
		if fs, err := parseHeader(bad); err == nil {
			t.Errorf("parseHeader(%q) = %+v, want an error", bad, fs)
		}
	}
}
