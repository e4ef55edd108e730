// Package config loads, defaults and validates the one YAML configuration
// shared by probes and collector (design 1.6: one file for all online
// components). An embedded default (default.yaml) makes every command work
// without a file. Validation errors are *Error values naming the file, the
// YAML line and the field, and wrap ErrInvalid.
package config
