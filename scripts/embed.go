// Package scripts holds drumsplit's offline Python tools (export, reference
// pipelines, fixtures). For Go it embeds the model exporter and runs it
// (Export), so that `drumsplit export` works from an installed binary
// without a source tree.
package scripts

import "embed"

// Exporter holds export_model.py and the drumsplit_model package it imports,
// with their paths relative to scripts/.
//
//go:embed export_model.py drumsplit_model/*.py
var Exporter embed.FS

// ExporterMain is the script in Exporter to run.
const ExporterMain = "export_model.py"
