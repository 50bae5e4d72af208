package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment override: ACTIVITYD_NATS_URL sets
// nats.url, ACTIVITYD_STATE_DIR sets state_dir.
const EnvPrefix = "ACTIVITYD_"

var durationType = reflect.TypeOf(time.Duration(0))

// ApplyEnv sets the scalar keys named by ACTIVITYD_* variables in environ
// (as os.Environ returns it). Lists such as streams are not reachable this
// way. A variable that names no key, or whose value does not parse, is an
// error naming the variable.
func ApplyEnv(cfg *Config, environ []string) error {
	keys := map[string]reflect.Value{}
	collectScalars(reflect.ValueOf(cfg).Elem(), EnvPrefix, keys)
	var errs []error
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		field, ok := keys[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no such configuration key", name))
			continue
		}
		if err := setScalar(field, val); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, val, err))
		}
	}
	return errors.Join(errs...)
}

// EnvNames lists every environment variable ApplyEnv understands.
func EnvNames() []string {
	var cfg Config
	keys := map[string]reflect.Value{}
	collectScalars(reflect.ValueOf(&cfg).Elem(), EnvPrefix, keys)
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	return names
}

func collectScalars(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + strings.ToUpper(tag)
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			collectScalars(f, name+"_", out)
		case f.Kind() == reflect.Slice || f.Kind() == reflect.Map || f.Kind() == reflect.Pointer:
			// not scalar: only the file sets it
		default:
			out[name] = f
		}
	}
}

func setScalar(f reflect.Value, s string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration (like 5s or 1m30s)")
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		f.SetInt(n)
	case reflect.Float64, reflect.Float32:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("not a number")
		}
		f.SetFloat(x)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
