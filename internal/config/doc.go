// Package config loads the daemon's configuration: defaults in code, then a
// strict YAML file (an unknown key is an error), then ACTIVITYD_* environment
// overrides for scalar keys, then Validate, whose errors name the key and the
// bad value.
package config
