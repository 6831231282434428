//go:build tools

// Package tools pins the Pulumi CLI main package so `go build` can build it from this module.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
